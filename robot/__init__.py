"""The robot and its world: specs, worlds, the batched simulator, sensors, planning,
the controller loop and the pygame viewer. Depends on numpy and numba (pygame for the
viewer only).
"""

import os as _os


def _start_numba_threads_passive() -> None:
    """Start numba's OpenMP threads with a passive wait policy, leaving torch's alone.

    OpenMP's default policy spins idle threads, which collapses throughput (up to 30x) when
    torch or other processes share the cores; passive threads sleep between kernels. The
    policy is read once, when an OpenMP runtime loads, from ``OMP_WAIT_POLICY``. Setting it
    for the whole process also reached torch's own OpenMP runtime when torch was imported
    after us, and made single-threaded PPO ~25% slower (measured on 2 cores). So the variable
    is set only while numba's runtime loads (``numba.get_num_threads`` starts it), then
    removed. A policy the user set is left as it is.
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
