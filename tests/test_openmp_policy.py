"""Importing ``robot`` gives numba's OpenMP threads a passive wait policy without leaving
``OMP_WAIT_POLICY`` set for torch's runtime, and keeps a policy the user chose."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import os, robot, numba
try:
    layer = numba.threading_layer()  # raises until numba's threads have started
except ValueError:
    layer = "none"
print(os.environ.get("OMP_WAIT_POLICY"), layer)
"""


def _run(env_policy: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if env_policy is not None:
        env["OMP_WAIT_POLICY"] = env_policy
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_import_starts_numba_threads_and_leaves_no_policy_behind() -> None:
    policy, layer = _run(None).split()
    assert policy == "None"  # torch, imported later, reads its own default
    assert layer in ("omp", "tbb", "workqueue")  # numba's pool is already running


def test_a_policy_the_user_set_is_kept() -> None:
    assert _run("ACTIVE").split()[0] == "ACTIVE"


def test_training_loads_torch_before_robot() -> None:
    """torch's OpenMP runtime loads before robot starts numba's passive threads: they
    share it, and a passive one slows torch's multi-threaded updates (training/__init__)."""
    probe = (
        "import sys, training, robot; mods = list(sys.modules); "
        "print(mods.index('torch') < mods.index('robot'))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
