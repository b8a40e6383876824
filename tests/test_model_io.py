"""Saved policies: safetensors + JSON sidecar, exact round trips, refusals that say why."""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from envs.actions import DEFAULT_DISCRETE_ACTIONS
from envs.sb3 import DiscreteActionVecEnv, make_sb3_env
from envs.tasks import TASK_IDS
from policies.builders import build_policy_kwargs
from policies.io import (
    FORMAT,
    ModelMismatchError,
    describe_space,
    load_policy,
    read_meta,
    save_policy,
    space_from_json,
)
from training.config import algo_class

POINTNAV, OBJECTNAV, CUEMAZE = TASK_IDS
ENV_KWARGS = {"max_steps": 30}


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def policy_config(algo: str) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "extractor": "smartbot",
        "extractor_kwargs": {"mlp_hidden": [16], "cnn_channels": [4, 4, 4], "cnn_features": 16},
    }
    if algo in ("ppo", "a2c", "recurrent_ppo"):
        cfg.update(net_arch={"pi": [16], "vf": [16]}, log_std_init=-0.5)
    else:
        cfg["net_arch"] = [16]
    if algo == "recurrent_ppo":
        cfg["lstm_hidden_size"] = 8
    return cfg


def make_model(algo: str, env_id: str = POINTNAV, n_envs: int = 3) -> tuple[Any, Any]:
    """An untrained (randomly initialised) SB3 model of ``algo`` and its VecEnv."""
    env: Any = make_sb3_env(env_id, n_envs, seed=11, **ENV_KWARGS)
    extra: dict[str, Any] = {}
    if algo == "dqn":
        env = DiscreteActionVecEnv(env)
    if algo in ("sac", "td3", "dqn"):
        extra = {"buffer_size": 100, "learning_starts": 10}
    name = "MultiInputLstmPolicy" if algo == "recurrent_ppo" else "MultiInputPolicy"
    model = algo_class(algo)(
        name,
        env,
        seed=3,
        device="cpu",
        policy_kwargs=build_policy_kwargs(algo, policy_config(algo)),
        **extra,
    )
    return model, env


def save(model: Any, path: Path, algo: str, env_id: str = POINTNAV) -> Path:
    extra = {"action_table": DEFAULT_DISCRETE_ACTIONS.tolist()} if algo == "dqn" else {}
    return save_policy(
        model,
        path,
        env_id=env_id,
        algo=algo,
        policy_config=policy_config(algo),
        env_kwargs=ENV_KWARGS,
        extra=extra,
    )


@pytest.fixture(scope="module")
def saved_ppo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model, _ = make_model("ppo")
    return save(model, tmp_path_factory.mktemp("ppo") / "model", "ppo")


def copy_model(src: Path, dst: Path) -> Path:
    for suffix in (".json", ".safetensors"):
        dst.with_suffix(suffix).write_bytes(src.with_suffix(suffix).read_bytes())
    return dst


# ------------------------------------------------------------------ round trips
@pytest.mark.parametrize(
    "algo, env_id",
    [
        ("ppo", POINTNAV),
        ("a2c", POINTNAV),
        ("sac", POINTNAV),
        ("td3", POINTNAV),
        ("dqn", POINTNAV),
        ("recurrent_ppo", POINTNAV),
        ("ppo", OBJECTNAV),
        ("sac", OBJECTNAV),
    ],
)
def test_round_trip_gives_the_same_actions_as_model_predict(
    algo: str, env_id: str, tmp_path: Path
) -> None:
    model, env = make_model(algo, env_id)
    stem = save(model, tmp_path / "sub" / "model", algo, env_id)
    assert stem == tmp_path / "sub" / "model"
    assert sorted(p.name for p in stem.parent.iterdir()) == ["model.json", "model.safetensors"]
    policy = load_policy(stem, env_id)
    policy.reset_batch(env.num_envs)
    obs = env.reset()
    state: Any = None
    starts = np.ones(env.num_envs, dtype=bool)
    for _ in range(4):
        if algo == "recurrent_ppo":
            expected, state = model.predict(
                obs, state=state, episode_start=starts, deterministic=True
            )
        else:
            expected, _ = model.predict(obs, deterministic=True)
        got = policy.act_batch(obs, starts)
        if algo == "dqn":
            np.testing.assert_array_equal(got, DEFAULT_DISCRETE_ACTIONS[expected])
        else:
            np.testing.assert_array_equal(got, expected)
        assert np.all(np.abs(got) <= 1.0)
        obs, _, dones, _ = env.step(expected)
        starts = np.asarray(dones, dtype=bool)
    # the saved weights are exactly the model's
    loaded = policy.policy.state_dict()
    for key, value in model.policy.state_dict().items():
        assert torch.equal(loaded[key], value.cpu()), key


def test_load_accepts_either_file_or_the_stem(saved_ppo: Path) -> None:
    for p in (
        saved_ppo,
        saved_ppo.with_suffix(".json"),
        saved_ppo.with_suffix(".safetensors"),
        str(saved_ppo),
    ):
        assert load_policy(p).meta["env_id"] == POINTNAV


def test_sidecar_describes_the_model(saved_ppo: Path) -> None:
    meta = json.loads(saved_ppo.with_suffix(".json").read_text())
    assert meta["format"] == FORMAT
    assert meta["env_id"] == POINTNAV and meta["algo"] == "ppo"
    assert meta["env_kwargs"] == ENV_KWARGS and meta["policy"] == policy_config("ppo")
    assert isinstance(meta["smartbot_version"], str) and meta["smartbot_version"]
    obs_space = meta["observation_space"]
    assert obs_space["type"] == "Dict"
    assert sorted(obs_space["spaces"]) == ["goal", "lidar", "velocity"]
    assert obs_space["spaces"]["lidar"] == {
        "type": "Box",
        "shape": [64],
        "dtype": "float32",
        "low": [0.0],
        "high": [6.0],
    }
    assert meta["action_space"]["type"] == "Box" and meta["action_space"]["shape"] == [2]
    assert read_meta(saved_ppo) == meta


@pytest.mark.parametrize("env_id", [POINTNAV, OBJECTNAV, CUEMAZE])
def test_spaces_survive_json(env_id: str) -> None:
    env = make_sb3_env(env_id, 1)
    for space in (env.observation_space, env.action_space):
        again = space_from_json(json.loads(json.dumps(describe_space(space))))
        assert again == space


# ------------------------------------------------------------------ refusals
def test_loading_into_another_env_names_what_differs(saved_ppo: Path) -> None:
    with pytest.raises(ModelMismatchError) as info:
        load_policy(saved_ppo, CUEMAZE)
    msg = str(info.value)
    assert "env id" in msg and POINTNAV in msg and CUEMAZE in msg
    assert "'goal'" in msg and "'cue'" in msg  # the differing observation keys
    with pytest.raises(ModelMismatchError, match=r"bumper"):
        load_policy(
            saved_ppo, POINTNAV, env_kwargs={"sensors": ["lidar", "goal", "velocity", "bumper"]}
        )
    shape = r"observation\['lidar'\]: model expects shape \(64,\), env gives \(32,\)"
    with pytest.raises(ModelMismatchError, match=shape):
        load_policy(saved_ppo, POINTNAV, env_kwargs={"sim": {"lidar": {"beams": 32}}})
    with pytest.raises(ModelMismatchError, match=r"ObjectNav.*camera"):
        load_policy(saved_ppo, OBJECTNAV)


def test_missing_files(saved_ppo: Path, tmp_path: Path) -> None:
    stem = copy_model(saved_ppo, tmp_path / "a")
    stem.with_suffix(".json").unlink()
    with pytest.raises(FileNotFoundError, match=r"a\.json"):
        load_policy(stem)
    stem = copy_model(saved_ppo, tmp_path / "b")
    stem.with_suffix(".safetensors").unlink()
    with pytest.raises(FileNotFoundError, match=r"b\.safetensors"):
        load_policy(stem, POINTNAV)
    with pytest.raises(FileNotFoundError):
        load_policy(tmp_path / "nothing")


@pytest.mark.parametrize("cut", [0.5, 0.99, 8])
def test_truncated_or_corrupt_weights(saved_ppo: Path, tmp_path: Path, cut: float) -> None:
    stem = copy_model(saved_ppo, tmp_path / "m")
    data = stem.with_suffix(".safetensors").read_bytes()
    stem.with_suffix(".safetensors").write_bytes(data[: int(cut if cut > 1 else len(data) * cut)])
    with pytest.raises(ValueError, match=r"truncated or corrupt"):
        load_policy(stem, POINTNAV)


def test_garbage_weights(saved_ppo: Path, tmp_path: Path) -> None:
    stem = copy_model(saved_ppo, tmp_path / "m")
    stem.with_suffix(".safetensors").write_bytes(b"\x00" * 64 + b"not a tensor file")
    with pytest.raises(ValueError, match=r"truncated or corrupt"):
        load_policy(stem)


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda m: m.update(format="smartbot-policy-v0"), "format"),
        (lambda m: m.pop("format"), "format"),
        (lambda m: m.pop("observation_space"), "observation_space"),
    ],
)
def test_bad_sidecar(saved_ppo: Path, tmp_path: Path, edit: Any, match: str) -> None:
    stem = copy_model(saved_ppo, tmp_path / "m")
    meta = json.loads(stem.with_suffix(".json").read_text())
    edit(meta)
    stem.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=match):
        load_policy(stem, POINTNAV)


def test_sidecar_that_is_not_json(saved_ppo: Path, tmp_path: Path) -> None:
    stem = copy_model(saved_ppo, tmp_path / "m")
    stem.with_suffix(".json").write_text('{"format": ')
    with pytest.raises(ValueError, match="not valid JSON"):
        load_policy(stem)


def test_weights_that_do_not_fit_the_described_network(saved_ppo: Path, tmp_path: Path) -> None:
    stem = copy_model(saved_ppo, tmp_path / "m")
    meta = json.loads(stem.with_suffix(".json").read_text())
    meta["policy"]["extractor_kwargs"]["mlp_hidden"] = [32]  # tensors are for [16]
    stem.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(ModelMismatchError, match="does not match its architecture"):
        load_policy(stem)


# ------------------------------------------------------------------ no pickle
def test_load_policy_never_unpickles(saved_ppo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("load_policy must not unpickle")

    for module, name in (
        (pickle, "load"),
        (pickle, "loads"),
        (pickle, "Unpickler"),
        (torch, "load"),
        (torch.serialization, "load"),
    ):
        monkeypatch.setattr(module, name, refuse)
    policy = load_policy(saved_ppo, POINTNAV)
    obs = make_sb3_env(POINTNAV, 2, seed=0, **ENV_KWARGS).reset()
    assert policy.act_batch(obs).shape == (2, 2)
