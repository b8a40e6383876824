"""numba's on-disk cache is kept per version of all kernel sources (robot/__init__.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numba

from robot import kernel_source_hash

ROOT = Path(__file__).resolve().parent.parent


def _package(root: Path) -> tuple[Path, Path]:
    pkg = root / "robot"
    pkg.mkdir()
    kernel = pkg / "kernels.py"
    kernel.write_text("from numba import njit\n\n@njit\ndef f(x):\n    return x + 1\n")
    plain = pkg / "plain.py"
    plain.write_text("def g(x):\n    return x\n")
    return kernel, plain


def test_the_hash_follows_kernel_files_only(tmp_path: Path) -> None:
    """Editing a file with a kernel changes the hash; editing one without leaves it."""
    kernel, plain = _package(tmp_path)
    first = kernel_source_hash(tmp_path, ("robot",))
    assert len(first) == 16 and int(first, 16) >= 0
    plain.write_text("def g(x):\n    return 2 * x\n")
    assert kernel_source_hash(tmp_path, ("robot",)) == first
    kernel.write_text(kernel.read_text().replace("x + 1", "x + 2"))
    assert kernel_source_hash(tmp_path, ("robot",)) != first


def test_numba_caches_under_the_hash_of_this_checkout() -> None:
    """Importing robot points numba's cache at a folder named by the kernels' hash (unless
    the user set NUMBA_CACHE_DIR, as a subprocess shows)."""
    if "NUMBA_CACHE_DIR" not in os.environ:
        assert Path(numba.config.CACHE_DIR).name == kernel_source_hash(ROOT)
        assert Path(numba.config.CACHE_DIR).parent.name == "numba"
    env = {**os.environ, "NUMBA_CACHE_DIR": "/tmp/mine"}
    out = subprocess.run(
        [sys.executable, "-c", "import robot, numba; print(numba.config.CACHE_DIR)"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "/tmp/mine"
