"""Lets `python -m specloop` behave like the `specloop` command."""

from specloop.cli import main

raise SystemExit(main())
