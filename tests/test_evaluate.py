"""The headless evaluator: exact episode counts, independence of n_envs, reports and the CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401  (registers the ids)
from policies.baselines import RandomPolicy, ScriptedExpert
from training.cli import main
from training.evaluate import EPISODE_FIELDS, EvalResult, evaluate

ENV = "smartbot/PointNav-v0"


def _without_slot(result: EvalResult) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k != "slot"} for e in result.episodes]


def test_random_policy_exact_count_and_independent_of_n_envs() -> None:
    a = evaluate(RandomPolicy(seed=3), ENV, episodes=10, n_envs=4, progress=False)
    b = evaluate(RandomPolicy(seed=3), ENV, episodes=10, n_envs=8, progress=False)
    assert len(a.episodes) == 10
    assert [e["index"] for e in a.episodes] == list(range(10))
    assert set(a.episodes[0]) == set(EPISODE_FIELDS)
    assert _without_slot(a) == _without_slot(b)
    assert a.summary == b.summary
    assert a.summary["episodes"] == 10 and a.n_envs == 4


def test_expert_independent_of_n_envs_and_succeeds() -> None:
    a = evaluate("expert", "PointNav-v0", episodes=16, n_envs=4, progress=False)
    b = evaluate("expert", ENV, episodes=16, n_envs=8, progress=False, seed=0)
    assert len(a.episodes) == 16
    assert _without_slot(a) == _without_slot(b)
    assert a.summary["success_rate"]["value"] >= 0.8
    assert a.summary["spl"]["value"] > 0.5
    for e in a.episodes:
        assert 0.0 <= e["spl"] <= 1.0
        assert e["collided"] == int(e["contacts"] > 0)
        assert e["spl"] == 0.0 or e["success"] == 1


def test_episode_j_is_the_single_env_reset_with_seed_plus_j() -> None:
    r = evaluate("expert", ENV, episodes=6, n_envs=3, seed=40, progress=False)
    env = gym.make(ENV, split="test")
    for j in (0, 4, 5):
        _, info = env.reset(seed=40 + j)
        e = r.episodes[j]
        assert e["seed"] == 40 + j
        assert e["episode_seed"] == info["episode_seed"]
        assert e["map_seed"] == info["map_seed"]
        assert e["shortest_path"] == pytest.approx(max(info["geodesic_start"] - 0.3, 0.0))


def test_plain_policy_and_factory() -> None:
    class Forward:
        """A plain Policy (no act_batch) with per-episode state."""

        def __init__(self) -> None:
            self.t = 0

        def reset(self) -> None:
            self.t = 0

        def act(self, obs: Any) -> np.ndarray:
            self.t += 1
            return np.array([1.0, 0.5 if self.t % 20 < 10 else -0.5], dtype=np.float32)

    a = evaluate(Forward(), ENV, episodes=5, n_envs=2, progress=False)
    b = evaluate(Forward(), ENV, episodes=5, n_envs=5, progress=False)
    assert _without_slot(a) == _without_slot(b)
    assert a.name == "Forward"
    # more slots than episodes: capped
    assert b.n_envs == 5
    c = evaluate(lambda env: ScriptedExpert(env), ENV, episodes=3, n_envs=8, progress=False)
    assert c.n_envs == 3 and len(c.episodes) == 3


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="episodes"):
        evaluate("random", ENV, episodes=0, progress=False)
    with pytest.raises(ValueError, match="n_envs"):
        evaluate("random", ENV, episodes=2, n_envs=0, progress=False)

    class Broken:
        def reset_batch(self, n: int) -> None: ...

        def act_batch(self, obs: Any, starts: Any) -> np.ndarray:
            return np.zeros((1, 3))

    with pytest.raises(ValueError, match="shape"):
        evaluate(Broken(), ENV, episodes=2, n_envs=2, progress=False)


def test_result_files(tmp_path: Path) -> None:
    r = evaluate("random", ENV, episodes=3, n_envs=3, progress=False)
    data = json.loads(r.to_json(tmp_path / "r.json").read_text())
    assert data["policy"] == "random" and len(data["episodes"]) == 3
    assert data["summary"]["success_rate"]["method"] == "wilson"
    with r.to_csv(tmp_path / "r.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 and list(rows[0]) == list(EPISODE_FIELDS)
    scalars = r.scalars()
    assert scalars["episodes"] == 3.0 and "spl_lo" in scalars and "success_rate" in scalars
    assert r.table().row_count == 1


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained PPO policy for PointNav, saved the way training saves it."""
    from types import SimpleNamespace

    from policies.builders import build_policy_network
    from policies.io import save_policy

    env = gym.make(ENV)
    cfg = {"net_arch": [16]}
    net = build_policy_network("ppo", env.observation_space, env.action_space, cfg)
    model = SimpleNamespace(
        policy=net, observation_space=env.observation_space, action_space=env.action_space
    )
    stem = tmp_path_factory.mktemp("model") / "ppo_pointnav"
    return save_policy(model, stem, env_id=ENV, algo="ppo", policy_config=cfg)


@pytest.fixture
def one_torch_thread() -> Any:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny networks: threads only add overhead on a busy machine
    yield
    torch.set_num_threads(before)


def test_cli_compare_writes_json_and_csv(
    saved_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], one_torch_thread: Any
) -> None:
    out = tmp_path / "eval"
    argv = [
        "evaluate", str(saved_model), "--compare", "random", "expert", "--episodes", "4",
        "--n-envs", "4", "--out", str(out), "--no-progress",
    ]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    for name in ("ppo_pointnav", "random", "expert", "success %", "SPL"):
        assert name in printed
    data = json.loads((out / "eval.json").read_text())
    policies = data["policies"]
    label = f"{saved_model.parent.name}/{saved_model.name}"  # long paths: last two parts
    assert [p["policy"] for p in policies] == [label, "random", "expert"]
    assert policies[0]["source"] == str(saved_model)
    assert all(p["env_id"] == ENV and p["split"] == "test" for p in policies)
    for p in policies:
        with (out / p["csv"]).open() as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == 4 and len(p["episodes"]) == 4


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1
    return err


def test_cli_unknown_model_is_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "no_such_model")
    assert main(["evaluate", missing, "--env", ENV, "--out", str(tmp_path)]) == 2
    err = _one_line_error(capsys)
    assert "no such model" in err and "'expert' or 'random'" in err
    assert not (tmp_path / "eval.json").exists()
    assert main(["evaluate", "random", "--out", str(tmp_path)]) == 2
    assert "--env" in _one_line_error(capsys)
    assert main(["evaluate", "random", "--env", "Nope-v0", "--out", str(tmp_path)]) == 2
    assert "--env" in _one_line_error(capsys)


def test_cli_model_for_another_env_is_one_line_error(
    saved_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["evaluate", str(saved_model), "--env", "ObjectNav-v0", "--out", str(tmp_path)]
    assert main(argv) == 2
    err = _one_line_error(capsys)
    assert "does not fit" in err and "--env smartbot/PointNav-v0" in err
