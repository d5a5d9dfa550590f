"""Entry point for `python -m codes`."""

from codes.cli import main

raise SystemExit(main())
