"""Helpdesk entry point: `python main.py --help`."""

import multiprocessing
import sys

from helpdesk.cli import main

if __name__ == "__main__":
    # The image decoder runs in a spawned child (services/images.py): in the packaged file that
    # child is this same program, told here to be the child rather than Helpdesk again.
    multiprocessing.freeze_support()
    sys.exit(main())
