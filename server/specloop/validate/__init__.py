"""Validation of candidate code: syntax, static checks, doctests and tests, in a sandbox."""
