"""Training configs: layers, ``--set`` overrides, validation that names the bad key."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from envs.tasks import TASK_IDS
from policies.builders import ALGOS
from training import cli
from training.config import (
    DEFAULTS,
    ConfigError,
    apply_override,
    load_config,
    resolve_config,
    validate_config,
)

POINTNAV, OBJECTNAV, CUEMAZE = TASK_IDS
CONFIGS = sorted(
    p.name
    for p in resources.files("training").joinpath("configs").iterdir()
    if p.name.endswith(".yaml")
)


def ppo(*overrides: str) -> dict[str, Any]:
    return resolve_config(POINTNAV, "ppo", overrides=list(overrides))


# ------------------------------------------------------------------ errors name the key
@pytest.mark.parametrize(
    "overrides, key",
    [
        (["bogus=1"], "bogus"),  # a bare key is an algorithm hyperparameter
        (["algo_kwargs.n_stepz=64"], "algo_kwargs.n_stepz"),
        (["policy.bogus=1"], "policy.bogus"),
        (["policy.extractor_kwargs.mlp_hiden=[8]"], "policy.extractor_kwargs.mlp_hiden"),
        (["policy.extractor=resnet"], "policy.extractor"),
        (["policy.activation=swish"], "activation"),
        (["policy.net_arch=abc"], "policy.net_arch"),
        (["policy.net_arch={pi: [16], qf: [16]}"], "policy.net_arch.qf"),
        (["eval.bogus=1"], "eval.bogus"),
        (["eval.split=holdout"], "eval.split"),
        (["eval.episodes=0"], "eval.episodes"),
        (["gamma=2"], "algo_kwargs.gamma"),
        (["n_envs=0"], "n_envs"),
        (["learning_rate=-1"], "algo_kwargs.learning_rate"),
        (["learning_rate=nan"], "algo_kwargs.learning_rate"),
        (["n_steps=1.5"], "algo_kwargs.n_steps"),
        (["batch_size=100000"], "algo_kwargs.batch_size"),  # > n_steps x n_envs
        (["total_timesteps=0"], "total_timesteps"),
        (["seed=-1"], "seed"),
        (["sim_threads=0"], "sim_threads"),
        (["sim_threads=1.5"], "sim_threads"),
        (["update_threads=0"], "update_threads"),
        (["update_threads=1.5"], "update_threads"),
        (["update_threads=two"], "update_threads"),
        (["update_threads=true"], "update_threads"),
        (["device=tpu"], "device"),
        (["lr_schedule=cosine"], "lr_schedule"),
        (["env_kwargs.sensors=[radar]"], "sensors"),
        (["env_kwargs.max_stepz=10"], "max_stepz"),
        (["eval=5"], "eval"),
        (["n_envs.x=1"], "n_envs"),
    ],
)
def test_bad_values_raise_config_error_naming_the_key(overrides: list[str], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        ppo(*overrides)
    message = str(info.value)
    assert key in message
    assert any(w in message for w in ("allowed", "expected", "not a section"))


def test_messages_say_what_is_allowed() -> None:
    with pytest.raises(
        ConfigError,
        match=r"algo_kwargs\.gamma: 2 is not allowed; "
        r"expected a number in \[0, 1\]",
    ):
        ppo("gamma=2")
    with pytest.raises(
        ConfigError,
        match=r"n_envs: 0 is not allowed; "
        r"expected an integer in \[1, 4096\]",
    ):
        ppo("n_envs=0")
    with pytest.raises(ConfigError, match=r"batch_size: 8192 exceeds n_steps x n_envs = 4096"):
        ppo("batch_size=8192")  # pointnav_ppo: n_steps 256 x 16 robots
    with pytest.raises(
        ConfigError, match=r"env_kwargs: .*sensors: 'radar' is not allowed; allowed: .*lidar"
    ):
        ppo("env_kwargs.sensors=[lidar, radar]")
    with pytest.raises(
        ConfigError, match=r"algo_kwargs\.n_stepz: unknown for ppo; allowed: .*n_steps"
    ):
        ppo("algo_kwargs.n_stepz=64")


def test_unknown_top_level_key_in_a_config_file(tmp_path: Path) -> None:
    f = tmp_path / "mine.yaml"
    f.write_text("n_envs: 4\nbogus: 1\n")
    with pytest.raises(ConfigError, match=r"^bogus: unknown key; allowed: env, algo"):
        resolve_config(POINTNAV, "ppo", f)
    cfg = ppo()
    cfg["evaluation"] = {}
    with pytest.raises(ConfigError, match=r"^evaluation: unknown key"):
        validate_config(cfg)


def test_keys_of_another_algorithm_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"algo_kwargs\.buffer_size: unknown for ppo"):
        ppo("buffer_size=1000")
    with pytest.raises(ConfigError, match=r"policy\.log_std_init: unknown key for td3"):
        resolve_config(POINTNAV, "td3", overrides=["policy.log_std_init=0"])
    with pytest.raises(ConfigError, match=r"policy\.lstm_hidden_size: unknown key for ppo"):
        ppo("policy.lstm_hidden_size=32")
    with pytest.raises(ConfigError, match=r"algo_kwargs\.policy: unknown for ppo"):
        ppo("algo_kwargs.policy=MlpPolicy")  # set by the trainer itself


def test_unknown_algo_or_env() -> None:
    with pytest.raises(ConfigError, match=r"^algo: 'trpo' is not allowed; allowed: ppo, a2c"):
        resolve_config(POINTNAV, "trpo")
    with pytest.raises(
        ConfigError,
        match=r"^env: 'smartbot/Soccer-v0' is not allowed; "
        r"allowed: smartbot/PointNav-v0",
    ):
        resolve_config("smartbot/Soccer-v0", "ppo")
    with pytest.raises(ConfigError, match=r"^algo: not given"):
        resolve_config(POINTNAV, None)
    with pytest.raises(ConfigError, match=r"^env: not given"):
        resolve_config(None, "ppo")


def test_missing_or_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--config: no such file"):
        resolve_config(POINTNAV, "ppo", tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("n_envs: [1, 2\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        resolve_config(POINTNAV, "ppo", bad)
    bad.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        resolve_config(POINTNAV, "ppo", bad)
    with pytest.raises(ConfigError, match="config: no such file"):
        load_config(tmp_path / "run" / "config.yaml")
    for key in ("env", "algo"):  # a resolved config missing a key it needs
        cfg = ppo()
        del cfg[key]
        bad.write_text(yaml.safe_dump(cfg))
        with pytest.raises(ConfigError, match=rf"^{key}: None is not allowed"):
            load_config(bad)
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        ppo("learning_rate")


# ------------------------------------------------------------------ overrides and layers
def test_set_parses_numbers_as_numbers() -> None:
    cfg = ppo("learning_rate=1e-4", "gamma=0.995", "n_steps=64", "batch_size=64")
    ak = cfg["algo_kwargs"]
    assert ak["learning_rate"] == 1e-4 and isinstance(ak["learning_rate"], float)
    assert ak["gamma"] == 0.995 and isinstance(ak["n_steps"], int) and ak["batch_size"] == 64
    cfg = ppo("algo_kwargs.learning_rate=3E-5")
    assert cfg["algo_kwargs"]["learning_rate"] == 3e-5
    cfg = ppo("env_kwargs.sensors=[lidar, goal]", "device=cpu")
    assert cfg["env_kwargs"]["sensors"] == ["lidar", "goal"] and cfg["device"] == "cpu"


def test_dotted_overrides_merge_into_sections() -> None:
    cfg = ppo(
        "eval.episodes=7",
        "policy.net_arch={pi: [8], vf: [8]}",
        "env_kwargs.max_steps=50",
        "policy.extractor_kwargs.mlp_hidden=[32, 16]",
        "n_envs=8",
    )
    assert cfg["eval"]["episodes"] == 7
    assert cfg["eval"]["split"] == "val" and cfg["eval"]["every_steps"] == 1_000_000  # kept
    assert cfg["policy"]["net_arch"] == {"pi": [8], "vf": [8]}
    assert cfg["policy"]["activation"] == "tanh"  # from ppo.yaml
    assert cfg["policy"]["extractor_kwargs"] == {"mlp_hidden": [32, 16]}
    # the task yaml's env_kwargs kept, the override merged in
    assert cfg["env_kwargs"] == {
        "arc_penalty": 0.5,
        "spl_bonus": 10.0,
        "sensors": ["lidar", "goal", "velocity", "bumper"],
        "max_steps": 50,
    }
    assert cfg["n_envs"] == 8
    node: dict[str, Any] = {}
    apply_override(node, "a.b.c=1")
    assert node == {"a": {"b": {"c": 1}}}


def test_layers_later_ones_win(tmp_path: Path) -> None:
    base = resolve_config(CUEMAZE, "ppo")  # ppo.yaml + cuemaze_ppo.yaml
    assert base["algo_kwargs"]["ent_coef"] == 0.01  # cuemaze_ppo.yaml
    assert base["algo_kwargs"]["n_steps"] == 128 and base["algo_kwargs"]["n_epochs"] == 5
    other = resolve_config(OBJECTNAV, "sac")  # sac.yaml only
    assert other["algo_kwargs"]["buffer_size"] == 200000 and other["seed"] == DEFAULTS["seed"]
    f = tmp_path / "mine.yaml"
    f.write_text("n_envs: 4\nalgo_kwargs: {n_steps: 32, batch_size: 64}\neval: {episodes: 5}\n")
    cfg = resolve_config(CUEMAZE, "ppo", f, ["n_steps=16"])
    assert cfg["n_envs"] == 4 and cfg["algo_kwargs"]["n_steps"] == 16
    assert cfg["algo_kwargs"]["batch_size"] == 64 and cfg["algo_kwargs"]["n_epochs"] == 5
    assert cfg["eval"]["episodes"] == 5 and cfg["eval"]["split"] == "val"
    f.write_text("env: smartbot/ObjectNav-v0\nalgo: a2c\n")  # the file may name env and algo
    cfg = resolve_config(None, None, f)
    assert (cfg["env"], cfg["algo"]) == (OBJECTNAV, "a2c")


def test_resolved_config_round_trips_through_yaml(tmp_path: Path) -> None:
    cfg = ppo("learning_rate=1e-4", "eval.episodes=3")
    f = tmp_path / "config.yaml"
    f.write_text(yaml.safe_dump(cfg, sort_keys=False))
    assert load_config(f) == cfg
    cfg["n_envs"] = -3
    f.write_text(yaml.safe_dump(cfg))
    with pytest.raises(ConfigError, match="^n_envs"):
        load_config(f)


# ------------------------------------------------------------------ shipped configs
@pytest.mark.parametrize("name", CONFIGS)
def test_every_shipped_yaml_validates(name: str) -> None:
    raw = yaml.safe_load(resources.files("training").joinpath("configs", name).read_text())
    assert isinstance(raw, dict) and raw.get("algo") in ALGOS, name
    tasks = [raw["env"]] if "env" in raw else list(TASK_IDS)
    for env_id in tasks:
        cfg = resolve_config(env_id, raw["algo"])
        validate_config(cfg)
        for key, value in raw.items():  # the file's own values survive the merge
            if not isinstance(value, dict) and "env" in raw:
                assert cfg[key] == value, (name, key)
    assert len(CONFIGS) >= 6


def test_every_algorithm_has_default_yaml() -> None:
    for algo in ALGOS:
        assert f"{algo}.yaml" in CONFIGS
        assert resolve_config(POINTNAV, algo)["algo"] == algo


# ------------------------------------------------------------------ the CLI
def test_cli_reports_a_bad_key_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["train", "--env", POINTNAV, "--algo", "ppo", "--set", "bogus=1"])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("smartbot train: ") and "bogus" in lines[0]
    assert "Traceback" not in captured.err + captured.out


@pytest.mark.parametrize(
    "argv, key",
    [
        (["--env", POINTNAV, "--algo", "ppo", "--n-envs", "0"], "n_envs"),
        (["--env", POINTNAV, "--algo", "ddpg"], "algo"),
        (["--env", "smartbot/Nope-v0", "--algo", "ppo"], "env"),
        (["--env", POINTNAV, "--algo", "ppo", "--set", "env_kwargs.sensors=[radar]"], "sensors"),
    ],
)
def test_cli_config_errors_exit_2(
    argv: list[str], key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["train", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and key in err and "Traceback" not in err
