"""`python scripts/train.py ...` is `smartbot train ...`."""

import sys

from training.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
