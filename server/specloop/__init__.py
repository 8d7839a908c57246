"""specloop: a language server that turns ambiguous TODO specs into validated, reviewable edits."""

__version__ = "0.1.0"
