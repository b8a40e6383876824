"""The robot and its world: specs, worlds, the batched simulator, sensors, planning,
the controller loop and the pygame viewer. Depends on numpy and numba (pygame for the
viewer only).
"""

import os as _os

# numba's parallel kernels use OpenMP. Its default wait policy spins idle threads, which
# collapses throughput (up to 30x) when torch or other processes share the cores; a
# passive policy costs nothing measurable when the machine is idle.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
