"""The robot and its world: specs, worlds, the batched simulator, sensors, planning,
the controller loop and the pygame viewer. Depends on numpy and numba (pygame for the
viewer only).
"""

import hashlib as _hashlib
import os as _os
from pathlib import Path as _Path


def _start_numba_threads_passive() -> None:
    """Start numba's OpenMP threads with a passive wait policy, leaving torch's alone.

    OpenMP's default policy spins idle threads, which collapses throughput (up to 30x) when
    torch or other processes share the cores; passive threads sleep between kernels. The
    policy is read once, when an OpenMP runtime loads, from ``OMP_WAIT_POLICY``. Setting it
    for the whole process made single-threaded PPO ~25% slower (measured on 2 cores), so the
    variable is set only while numba's runtime loads (``numba.get_num_threads`` starts it),
    then removed. A policy the user set is left as it is. Note that numba and torch share
    one OpenMP runtime (libgomp, whichever copy loads first), so torch imported after us
    does get the passive policy, which slows its multi-threaded work (PointNav PPO with 2
    update threads, 1,024,000 steps: 198.1 s against 159.9 s with torch imported first).
    The ``training`` package imports torch first; scripts that run torch on several
    threads should import torch (or ``training``) before robot or envs.
    """
    if "OMP_WAIT_POLICY" in _os.environ:
        return
    _os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        import numba

        numba.get_num_threads()
    finally:
        del _os.environ["OMP_WAIT_POLICY"]


_start_numba_threads_passive()


#: Packages whose numba kernels share the on-disk cache.
_KERNEL_PACKAGES = ("robot", "envs", "policies", "training")


def kernel_source_hash(root: _Path, packages: tuple[str, ...] = _KERNEL_PACKAGES) -> str:
    """16 hex digits of SHA-256 over every ``.py`` file under ``root/<package>`` that
    defines numba kernels (contains ``njit``): relative path and contents, in path order."""
    digest = _hashlib.sha256()
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            text = path.read_bytes()
            if b"njit" in text:
                digest.update(path.relative_to(root).as_posix().encode() + b"\0" + text)
    return digest.hexdigest()[:16]


def _use_a_numba_cache_per_kernel_source() -> None:
    """Point numba's on-disk cache at a folder named by :func:`kernel_source_hash`.

    numba keys a cached kernel on its own file only: a kernel that inlines or calls a
    kernel of another file (the lidar calls robot/raycast.py's ray walk) kept running the
    old callee after that file changed, until its own file changed too (seen while editing
    the ray walk: the cached lidar hung in a loop the new code had removed). With one folder
    per version of all kernel sources, any change compiles everything afresh once. The
    folders live under ``$XDG_CACHE_HOME/smartbot/numba`` (default ``~/.cache``); a
    ``NUMBA_CACHE_DIR`` the user set is left as it is, and where the folder cannot be
    written numba falls back to ``__pycache__``.
    """
    if "NUMBA_CACHE_DIR" in _os.environ:
        return
    import numba

    try:
        home = _Path(_os.environ.get("XDG_CACHE_HOME") or _Path.home() / ".cache")
    except RuntimeError:  # no home directory: keep numba's default, __pycache__
        return
    root = _Path(__file__).resolve().parent.parent
    cache = home / "smartbot" / "numba" / kernel_source_hash(root)
    numba.config.CACHE_DIR = str(cache)  # type: ignore[attr-defined]


_use_a_numba_cache_per_kernel_source()
