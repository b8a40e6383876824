"""The RL trainer end to end: tiny runs of every algorithm, run folders, resume after a kill.

Every run here is a few hundred environment steps with tiny networks: the tests check the
plumbing (run folder, checkpoints, saved policies that load and drive), not learning.
"""

from __future__ import annotations

import csv
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml
from stable_baselines3 import PPO

from envs.actions import DEFAULT_DISCRETE_ACTIONS
from envs.sb3 import make_sb3_env
from policies.io import load_policy, read_meta
from policies.symmetric import ForeAftSymmetricPolicy, GoalFrameSymmetricPolicy
from training import cli
from training.config import load_config, resolve_config
from training.train import train

POINTNAV, CUEMAZE = "smartbot/PointNav-v0", "smartbot/CueMaze-v0"
REPO = Path(__file__).resolve().parents[1]

#: settings shared by every tiny run (evaluation only at the end, 2 episodes)
TINY = [
    "n_envs=2",
    "device=cpu",
    "torch_threads=1",
    "env_kwargs.max_steps=40",
    "eval.every_steps=1000000",
    "eval.episodes=2",
    "eval.n_envs=2",
    "checkpoint_every_steps=1000000",
    "policy.extractor_kwargs.mlp_hidden=[16]",
]
ON_POLICY_NET = "policy.net_arch={pi: [16], vf: [16]}"
OFF_POLICY = ["buffer_size=1000", "learning_starts=64", "batch_size=32", "policy.net_arch=[16]"]
PER_ALGO: dict[str, list[str]] = {
    "ppo": ["n_steps=32", "batch_size=32", "n_epochs=1", ON_POLICY_NET],
    "a2c": ["n_steps=8", ON_POLICY_NET],
    "sac": OFF_POLICY,
    "td3": OFF_POLICY,
    "dqn": [*OFF_POLICY, "target_update_interval=64"],
    "recurrent_ppo": [
        "n_steps=32",
        "batch_size=32",
        "n_epochs=1",
        ON_POLICY_NET,
        "policy.lstm_hidden_size=16",
    ],
}
#: steps between two updates above: n_steps x n_envs (on-policy), train_freq x n_envs
ROLLOUT = {"ppo": 64, "a2c": 16, "recurrent_ppo": 64, "sac": 2, "td3": 2, "dqn": 8}
TOTAL = 300  # not a multiple of any rollout: runs end on the next rollout boundary


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """Keep torch to one thread: the tests share a small machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny_config(env_id: str, algo: str, *extra: str) -> dict[str, Any]:
    return resolve_config(env_id, algo, overrides=[*TINY, *PER_ALGO[algo], *extra])


def planned_steps(algo: str, total: int) -> int:
    """The step count an uninterrupted run reaches: the first rollout boundary >= total."""
    return math.ceil(total / ROLLOUT[algo]) * ROLLOUT[algo]


def check_drives(path: Path, env_id: str, algo: str) -> None:
    """The saved policy loads for ``env_id`` and produces valid actions there."""
    policy = load_policy(path, env_id)
    assert policy.meta["env_id"] == env_id and policy.meta["algo"] == algo
    env = make_sb3_env(env_id, 2, seed=7, **policy.meta["env_kwargs"])
    obs: Any = env.reset()
    policy.reset_batch(2)
    for _ in range(3):
        actions = policy.act_batch(obs, np.zeros(2, dtype=bool))
        assert actions.shape == (2, 2) and actions.dtype == np.float32
        assert np.all(np.isfinite(actions)) and np.all(np.abs(actions) <= 1.0)
        if algo == "dqn":  # a discrete model drives through its action table
            assert policy.action_table is not None
            np.testing.assert_array_equal(policy.action_table, DEFAULT_DISCRETE_ACTIONS)
            assert all((DEFAULT_DISCRETE_ACTIONS == a).all(axis=1).any() for a in actions)
        obs, _, _, _ = env.step(actions)
    policy.reset()
    one = policy.act({k: v[0] for k, v in obs.items()})
    assert one.shape == (2,) and np.all(np.abs(one) <= 1.0)
    if algo == "dqn":
        assert (DEFAULT_DISCRETE_ACTIONS == one).all(axis=1).any()
    else:
        assert policy.action_table is None


@pytest.mark.parametrize(
    "algo, env_id",
    [
        ("ppo", POINTNAV),
        ("a2c", POINTNAV),
        ("sac", POINTNAV),
        ("td3", POINTNAV),
        ("dqn", POINTNAV),
        ("recurrent_ppo", POINTNAV),
        ("recurrent_ppo", CUEMAZE),
    ],
)
def test_tiny_run_writes_a_complete_run_folder(algo: str, env_id: str, tmp_path: Path) -> None:
    cfg = tiny_config(env_id, algo, f"total_timesteps={TOTAL}")
    run = tmp_path / "run"
    summary = train(cfg, run, progress=False, verbose=False)

    for name in (
        "config.yaml",
        "checkpoints/last.zip",
        "state.json",
        "final/model.json",
        "final/model.safetensors",
        "best/model.json",
        "best/model.safetensors",
        "learning_curve.png",
        "evals.csv",
        "episodes.csv",
        "summary.json",
    ):
        assert (run / name).is_file(), name
    assert not list(run.rglob("*.tmp*")), "temporary files left behind"
    assert load_config(run / "config.yaml") == cfg
    on_disk = json.loads((run / "summary.json").read_text())
    assert on_disk == json.loads(json.dumps(summary))
    assert on_disk["env"] == env_id and on_disk["algo"] == algo
    assert on_disk["num_timesteps"] >= TOTAL
    assert on_disk["num_timesteps"] == planned_steps(algo, TOTAL)
    assert json.loads((run / "state.json").read_text())["num_timesteps"] == on_disk["num_timesteps"]
    with (run / "evals.csv").open(newline="") as f:
        evals = list(csv.DictReader(f))
    assert evals and float(evals[-1]["step"]) == on_disk["num_timesteps"]
    assert 0.0 <= float(evals[-1]["success_rate"]) <= 1.0 and 0.0 <= float(evals[-1]["spl"]) <= 1.0
    assert on_disk["final_val"]["success_rate"] == pytest.approx(float(evals[-1]["success_rate"]))
    assert read_meta(run / "final" / "model")["num_timesteps"] == on_disk["num_timesteps"]

    check_drives(run / "final" / "model", env_id, algo)
    check_drives(run / "best" / "model.json", env_id, algo)


def test_resume_of_a_finished_run_adds_no_steps(tmp_path: Path) -> None:
    cfg = tiny_config(POINTNAV, "a2c", "total_timesteps=64")
    run = tmp_path / "run"
    first = train(cfg, run, progress=False, verbose=False)
    again = train(load_config(run / "config.yaml"), run, resume=True, progress=False, verbose=False)
    assert again["num_timesteps"] == first["num_timesteps"] == 64


def test_resume_without_a_checkpoint_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    run.mkdir()
    cfg = tiny_config(POINTNAV, "a2c", "total_timesteps=64")
    (run / "config.yaml").write_text(yaml.safe_dump(cfg))
    assert cli.main(["train", "--resume", str(run), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no checkpoint" in err and "Traceback" not in err


def test_killed_training_process_resumes_to_the_planned_step_count(tmp_path: Path) -> None:
    """SIGKILL a ``smartbot train`` process after its first checkpoint, then ``--resume``.

    The checkpoint interval (48) is not a multiple of the rollout (2 robots x 16 steps) and
    the total (500) is not either: the resumed run must still end on the same rollout
    boundary as an uninterrupted run of the same config.
    """
    total, every = 500, 48
    sets = [
        "n_steps=16",
        "batch_size=32",
        "n_epochs=1",
        ON_POLICY_NET,
        f"checkpoint_every_steps={every}",
    ]
    out = tmp_path / "runs"
    cmd = [
        sys.executable,
        "-m",
        "training.cli",
        "train",
        "--env",
        POINTNAV,
        "--algo",
        "ppo",
        "--out",
        str(out),
        "--name",
        "killed",
        "--no-progress",
        "--total-timesteps",
        str(total),
    ]
    for item in [*TINY, *sets]:
        cmd += ["--set", item]
    env = {**os.environ, "MPLBACKEND": "Agg", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
    log = tmp_path / "stderr.txt"
    with log.open("wb") as err:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 240
        try:
            while not list(out.glob("*/state.json")):
                assert proc.poll() is None, f"training ended early: {log.read_text()[-2000:]}"
                assert time.monotonic() < deadline, "no checkpoint was written"
                time.sleep(0.01)
            proc.send_signal(signal.SIGKILL)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    (run,) = out.iterdir()
    assert (run / "checkpoints" / "last.zip").is_file()
    assert not (run / "summary.json").exists()
    state = json.loads((run / "state.json").read_text())
    at_kill = state["num_timesteps"]
    assert 0 < at_kill < total and at_kill % 32 == 0  # checkpoints fall between rollouts
    assert state["wall_seconds"] > 0

    assert cli.main(["train", "--resume", str(run), "--no-progress"]) == 0
    summary = json.loads((run / "summary.json").read_text())
    resumed = summary["num_timesteps"]
    assert summary["wall_seconds_total"] >= round(state["wall_seconds"], 1)  # both sessions

    reference = train(
        resolve_config(POINTNAV, "ppo", overrides=[*TINY, *sets, f"total_timesteps={total}"]),
        tmp_path / "uninterrupted",
        progress=False,
        verbose=False,
    )
    assert resumed == reference["num_timesteps"] == math.ceil(total / 32) * 32
    assert (run / "final" / "model.safetensors").is_file()
    load_policy(run / "final" / "model", POINTNAV)


def test_training_runs_the_simulator_on_sim_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """train() limits numba to ``sim_threads`` for the run and restores it afterwards."""
    import numba

    import training.train as train_module

    seen: list[int] = []
    monkeypatch.setattr(
        train_module, "_train", lambda *a, **k: seen.append(numba.get_num_threads()) or {}
    )
    before = numba.get_num_threads()
    train(tiny_config(POINTNAV, "a2c", "sim_threads=1"), tmp_path / "run", progress=False)
    assert seen == [1] and numba.get_num_threads() == before


@pytest.mark.parametrize(("update_threads", "expected"), [(None, 1), (2, 2)])
def test_updates_run_on_update_threads_and_collection_on_torch_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, update_threads: int | None, expected: int
) -> None:
    """Torch threads while collecting (env steps) stay at torch_threads; during PPO's
    updates they are update_threads (torch_threads when null); torch_threads after."""
    from envs.sb3 import SB3VecEnv

    seen: dict[str, set[int]] = {"update": set(), "collect": set()}
    ppo_train, step_wait = PPO.train, SB3VecEnv.step_wait

    def spy_train(self: Any) -> None:
        seen["update"].add(torch.get_num_threads())
        ppo_train(self)

    def spy_step(self: Any) -> Any:
        seen["collect"].add(torch.get_num_threads())
        return step_wait(self)

    monkeypatch.setattr(PPO, "train", spy_train)
    monkeypatch.setattr(SB3VecEnv, "step_wait", spy_step)
    value = "null" if update_threads is None else str(update_threads)
    cfg = tiny_config(POINTNAV, "ppo", "total_timesteps=128", f"update_threads={value}")
    assert cfg["update_threads"] == update_threads
    train(cfg, tmp_path / "run", progress=False)
    assert seen == {"update": {expected}, "collect": {1}}
    assert torch.get_num_threads() == 1


def test_phase_threads_refuses_counts_below_one() -> None:
    from training.callbacks import PhaseThreads

    with pytest.raises(ValueError, match="update=0"):
        PhaseThreads(1, 0)
    with pytest.raises(ValueError, match="collect=0"):
        PhaseThreads(0, 2)


@pytest.mark.parametrize(
    ("symmetry", "cls"),
    [("fore_aft", ForeAftSymmetricPolicy), ("fore_aft_goal", GoalFrameSymmetricPolicy)],
)
def test_symmetric_policy_trains_saves_loads_and_resumes(
    tmp_path: Path, symmetry: str, cls: type[ForeAftSymmetricPolicy]
) -> None:
    """``smartbot train`` with ``policy.symmetry``: the saved model rebuilds (no pickle)
    as the symmetric policy and acts as the trained one; the checkpoint resumes."""
    cfg = tiny_config(POINTNAV, "ppo", "total_timesteps=128", f"policy.symmetry={symmetry}")
    run = tmp_path / "run"
    summary = train(cfg, run, progress=False, verbose=False)
    assert summary["num_timesteps"] == 128
    policy = load_policy(run / "final" / "model", POINTNAV)
    assert type(policy.policy) is cls
    assert policy.meta["policy"]["symmetry"] == symmetry
    model = PPO.load(run / "checkpoints" / "last.zip", device="cpu")
    assert type(model.policy) is cls
    env = make_sb3_env(POINTNAV, 2, seed=3, **{**cfg["env_kwargs"], "max_steps": 40})
    obs: Any = env.reset()
    expected, _ = model.predict(obs, deterministic=True)
    np.testing.assert_allclose(policy.act_batch(obs, np.zeros(2, bool)), expected, atol=1e-6)
    again = train(load_config(run / "config.yaml"), run, resume=True, progress=False, verbose=False)
    assert again["num_timesteps"] == 128


def test_train_refuses_symmetry_on_a_camera_task(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(
        [
            "train",
            "--env",
            "smartbot/ObjectNav-v0",
            "--algo",
            "ppo",
            "--set",
            "policy.symmetry=fore_aft",
            "--out",
            str(tmp_path),
            "--no-progress",
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and "Traceback" not in err
    assert "policy.symmetry: fore_aft cannot mirror the observation key 'camera'" in err
