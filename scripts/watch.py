"""``python scripts/watch.py [options]``: the same as ``smartbot watch [options]``."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["watch", *sys.argv[1:]]))
