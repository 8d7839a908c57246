"""Test helpers shared by unit and end-to-end tests (fakes that speak real protocols)."""
