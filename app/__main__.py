"""`python -m app …` runs the command line; with no command it starts the desktop app."""

from app.cli import exit_process, main

exit_process(main())
