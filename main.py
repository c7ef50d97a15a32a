"""Helpdesk entry point: `python main.py --help`."""

import multiprocessing
import sys

from helpdesk.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # the packaged program starting as its own intake process
    sys.exit(main())
