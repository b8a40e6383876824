"""Policy builders: initialisation keys (the LSTM forget-gate bias)."""

from __future__ import annotations

import pytest
import torch

from envs import make_sb3_env
from envs.tasks import TASK_IDS
from policies.builders import build_policy_network, init_policy
from training.config import ConfigError, resolve_config

CUEMAZE = TASK_IDS[2]
CFG = {"extractor": "smartbot", "extractor_kwargs": {"mlp_hidden": [16]}, "lstm_hidden_size": 8}


def _lstms(policy: torch.nn.Module) -> list[torch.nn.LSTM]:
    return [m for m in policy.modules() if isinstance(m, torch.nn.LSTM)]


def _policy(cfg: dict[str, object]) -> torch.nn.Module:
    env = make_sb3_env(CUEMAZE, 1, seed=0)
    return build_policy_network("recurrent_ppo", env.observation_space, env.action_space, cfg)


def test_forget_bias_sets_the_forget_gate_of_every_lstm() -> None:
    cfg = {**CFG, "lstm_forget_bias": 3.0, "n_lstm_layers": 2}
    policy = _policy(cfg)
    before = {n: p.clone() for n, p in policy.named_parameters()}
    init_policy(policy, cfg)
    lstms = _lstms(policy)
    assert len(lstms) == 2  # actor and critic LSTMs
    for lstm in lstms:
        h = lstm.hidden_size
        for layer in range(lstm.num_layers):
            b_ih = getattr(lstm, f"bias_ih_l{layer}")
            b_hh = getattr(lstm, f"bias_hh_l{layer}")
            assert torch.all(b_ih[h : 2 * h] == 3.0)
            assert torch.all(b_hh[h : 2 * h] == 0.0)
            # the input, cell and output gates keep their initial values
            name = next(n for n, p in policy.named_parameters() if p is b_ih)
            assert torch.equal(b_ih[:h], before[name][:h])
            assert torch.equal(b_ih[2 * h :], before[name][2 * h :])
    # everything that is not an LSTM bias is untouched
    for n, p in policy.named_parameters():
        if "bias_ih" not in n and "bias_hh" not in n:
            assert torch.equal(p, before[n]), n


def test_without_the_key_nothing_changes() -> None:
    policy = _policy(dict(CFG))
    before = {n: p.clone() for n, p in policy.named_parameters()}
    init_policy(policy, dict(CFG))
    assert all(torch.equal(p, before[n]) for n, p in policy.named_parameters())


@pytest.mark.parametrize("value", ["high", 11, -10.5, True, None])
def test_bad_forget_bias_is_named(value: object) -> None:
    with pytest.raises(ConfigError, match=r"policy\.lstm_forget_bias: expected a number"):
        resolve_config(CUEMAZE, "recurrent_ppo", overrides=[f"policy.lstm_forget_bias={value}"])


def test_forget_bias_is_refused_for_feed_forward_algorithms() -> None:
    with pytest.raises(ConfigError, match=r"policy\.lstm_forget_bias: unknown key for ppo"):
        resolve_config(CUEMAZE, "ppo", overrides=["policy.lstm_forget_bias=1"])
