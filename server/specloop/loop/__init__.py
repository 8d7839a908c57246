"""The staged loop: clarify -> plan -> generate -> validate, over one LLM adapter."""
