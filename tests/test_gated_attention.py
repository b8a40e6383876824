"""The gated-attention extractor: the target one-hot gates the CNN's channels."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from gymnasium import spaces

from envs import make_sb3_env
from envs.tasks import make_task
from policies.builders import build_policy_kwargs, build_policy_network
from policies.extractors import SmartbotExtractor
from policies.gated_attention import GatedAttentionExtractor
from training.config import ConfigError, resolve_config

OBJECTNAV = "smartbot/ObjectNav-v0"
SMALL = {"cnn_channels": [4, 8, 8], "cnn_features": 16, "mlp_hidden": [8]}
ENV_KW: dict[str, Any] = {
    "sensors": ["camera", "target", "lidar", "velocity"],
    "sim": {"camera": {"width": 16, "height": 8}},
}


def _space() -> spaces.Dict:
    sp = make_task(OBJECTNAV, 1, ENV_KW).single_observation_space
    assert isinstance(sp, spaces.Dict)
    return sp


def _obs(sp: spaces.Dict, n: int, seed: int = 0) -> dict[str, torch.Tensor]:
    sp.seed(seed)
    samples = [sp.sample() for _ in range(n)]
    return {k: torch.as_tensor(np.stack([s[k] for s in samples])) for k in sp.spaces}


def test_shape_matches_the_plain_extractor() -> None:
    sp = _space()
    gated = GatedAttentionExtractor(sp, gate_key="target", **SMALL)
    plain = SmartbotExtractor(sp, **SMALL)
    assert gated.features_dim == plain.features_dim == 16 + 8
    assert gated(_obs(sp, 5)).shape == (5, 24)


def test_open_gates_give_the_plain_extractor() -> None:
    sp = _space()
    gated = GatedAttentionExtractor(sp, gate_key="target", **SMALL)
    plain = SmartbotExtractor(sp, **SMALL)
    state = dict(plain.state_dict())
    state["gate.weight"] = torch.zeros_like(gated.gate.weight)
    state["gate.bias"] = torch.full_like(gated.gate.bias, 60.0)  # sigmoid(60) == 1.0
    gated.load_state_dict(state)
    obs = _obs(sp, 7)
    assert torch.allclose(gated(obs), plain(obs), atol=1e-6)


def test_the_target_changes_the_image_features_through_the_gates() -> None:
    sp = _space()
    torch.manual_seed(0)
    gated = GatedAttentionExtractor(sp, gate_key="target", **SMALL)
    obs = _obs(sp, 1)
    obs["camera"] = torch.full_like(obs["camera"], 200)
    feats = []
    for colour in range(2):
        obs["target"] = torch.zeros_like(obs["target"])
        obs["target"][0, colour] = 1.0
        feats.append(gated(obs)[0, :16])
    assert not torch.allclose(feats[0], feats[1])
    # closed gates: the image contributes only the head's bias
    with torch.no_grad():
        gated.gate.bias.fill_(-60.0)
        gated.gate.weight.zero_()
    a = gated(obs)[0, :16]
    obs["camera"] = torch.zeros_like(obs["camera"])
    assert torch.allclose(a, gated(obs)[0, :16])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"gate_key": "goal"}, r"gate_key: 'goal' is not an observation key; allowed: camera"),
        ({"gate_key": "camera"}, r"gate_key: 'camera' must be a vector key"),
    ],
)
def test_bad_gate_key_is_named(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        GatedAttentionExtractor(_space(), **kwargs, **SMALL)


def test_an_observation_without_images_is_refused() -> None:
    sp = make_task("smartbot/PointNav-v0", 1, {}).single_observation_space
    assert isinstance(sp, spaces.Dict)
    with pytest.raises(ValueError, match=r"gate_key: 'goal' must be a vector key .* image key"):
        GatedAttentionExtractor(sp, gate_key="goal")


def test_config_selects_and_validates_it() -> None:
    kw = build_policy_kwargs("ppo", {"extractor": "gated", "extractor_kwargs": {"gate_key": "x"}})
    assert kw["features_extractor_class"] is GatedAttentionExtractor
    with pytest.raises(ConfigError, match=r"policy\.extractor_kwargs\.gate_kee: unknown"):
        resolve_config(
            OBJECTNAV,
            "ppo",
            overrides=[
                "pretrain=null",  # the shipped config pretrains a detector for our extractor
                "policy.extractor=gated",
                "policy.extractor_kwargs={gate_kee: 1}",
            ],
        )
    with pytest.raises(ConfigError, match=r"allowed: smartbot, gated, combined"):
        resolve_config(OBJECTNAV, "ppo", overrides=["policy.extractor=film"])


def test_sb3_policy_with_the_gated_extractor_acts() -> None:
    env = make_sb3_env(OBJECTNAV, 2, seed=0, **ENV_KW)
    cfg = {"extractor": "gated", "extractor_kwargs": {"gate_key": "target", **SMALL}}
    policy = build_policy_network("ppo", env.observation_space, env.action_space, cfg)
    obs = env.reset()
    actions, _ = policy.predict(obs, deterministic=True)
    assert actions.shape == (2, 2)
    assert np.all(np.abs(actions) <= 1.0)
