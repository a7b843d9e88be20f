"""`python -m app …` runs the command line; with no command it starts the desktop app."""

from app.cli import main

raise SystemExit(main())
