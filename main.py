"""Helpdesk entry point: `python main.py --help`."""

import sys

from helpdesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
