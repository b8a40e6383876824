"""Training and evaluation: datasets, trainers, evaluation and the ``smartbot`` CLI.

Python API: :func:`training.evaluate` runs any policy headless and returns an
:class:`EvalResult`; :func:`training.train.train` trains a run from a config.
"""

# torch before anything imports robot: numba and torch share one OpenMP runtime, and
# robot starts numba's threads with a passive wait policy, which torch loaded later
# inherits; then every parallel region of a multi-threaded update wakes a sleeping
# thread. `smartbot train` of PointNav (2 update threads), 1,024,000 steps: 198.1 s with
# robot imported first against 159.9 s with torch first.
import torch  # noqa: F401  (import order, see above)

from training.evaluate import EvalResult, evaluate

__all__ = ["evaluate", "EvalResult"]
