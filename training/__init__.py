"""Training and evaluation: datasets, trainers, evaluation and the ``smartbot`` CLI.

Python API: :func:`training.evaluate` runs any policy headless and returns an
:class:`EvalResult`; :func:`training.train.train` trains a run from a config.
"""

from training.evaluate import EvalResult, evaluate

__all__ = ["evaluate", "EvalResult"]
