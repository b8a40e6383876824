"""``policy.squash_mean``: the Gaussian policy's mean stays inside the action bounds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.policies import MultiInputActorCriticPolicy

from envs import make_sb3_env
from policies.actor_critic import SmartbotActorCriticPolicy
from policies.builders import build_policy_kwargs, build_policy_network, policy_class
from policies.io import load_policy, save_policy

POINTNAV = "smartbot/PointNav-v0"
CFG = {"squash_mean": True, "net_arch": {"pi": [32], "vf": [32]}}


def _net(cfg: dict[str, Any]) -> tuple[Any, Any]:
    env = make_sb3_env(POINTNAV, 8, seed=0)
    return build_policy_network("ppo", env.observation_space, env.action_space, cfg), env


def test_squashed_mean_is_tanh_of_the_linear_head() -> None:
    torch.manual_seed(0)
    net, env = _net(CFG)
    assert isinstance(net, SmartbotActorCriticPolicy)
    tensor, _ = net.obs_to_tensor(env.reset())
    with torch.no_grad():
        net.action_net[0].weight.mul_(0).add_(5.0)  # a raw mean far past the bounds
        latent = net.mlp_extractor.forward_actor(net.extract_features(tensor))
        raw = net.action_net[0](latent)
        mean = net.get_distribution(tensor).distribution.mean
        _, logp, entropy = net.evaluate_actions(tensor, torch.zeros(8, 2))
    assert raw.abs().max() > 2.0
    assert mean.abs().max() <= 1.0
    torch.testing.assert_close(mean, torch.tanh(raw))
    assert logp.shape == (8,) and entropy is not None


def test_squash_mean_is_validated() -> None:
    assert policy_class("ppo", CFG) is SmartbotActorCriticPolicy
    assert policy_class("a2c", CFG) is SmartbotActorCriticPolicy
    assert policy_class("ppo", {}) is SmartbotActorCriticPolicy  # its short paths, no tanh
    with pytest.raises(ValueError, match="policy.squash_mean: expected true or false, got 'yes'"):
        build_policy_kwargs("ppo", {"squash_mean": "yes"})
    for algo in ("sac", "td3", "dqn", "recurrent_ppo"):
        with pytest.raises(ValueError, match=f"policy.squash_mean: unknown key for {algo}"):
            build_policy_kwargs(algo, {"squash_mean": True})


def test_squashed_policy_saves_and_loads(tmp_path: Path) -> None:
    """The model file and an SB3 checkpoint both rebuild the tanh and act the same."""
    env = make_sb3_env(POINTNAV, 4, seed=0)
    model = PPO(
        policy_class("ppo", CFG),
        env,
        policy_kwargs=build_policy_kwargs("ppo", CFG),
        n_steps=32,
        batch_size=64,
        n_epochs=1,
        device="cpu",
        seed=0,
    )
    model.learn(128)
    obs: Any = env.reset()
    expected, _ = model.predict(obs, deterministic=True)
    save_policy(model, tmp_path / "model", env_id=POINTNAV, algo="ppo", policy_config=CFG)
    policy = load_policy(tmp_path / "model", POINTNAV)
    np.testing.assert_allclose(policy.act_batch(obs, np.zeros(4, bool)), expected, atol=1e-6)
    model.save(tmp_path / "ckpt.zip")
    again = PPO.load(tmp_path / "ckpt.zip", device="cpu")
    assert again.policy.squash_mean is True
    np.testing.assert_allclose(again.predict(obs, deterministic=True)[0], expected, atol=1e-6)


@pytest.mark.parametrize("deterministic", [False, True])
@pytest.mark.parametrize("grad", [False, True])
@pytest.mark.parametrize(
    "cfg",
    [
        CFG,
        {**CFG, "net_arch": {"pi": [64, 64], "vf": [64, 64]}, "activation": "tanh"},
        {**CFG, "extractor_kwargs": {"mlp_hidden": []}, "log_std_init": -0.5},
    ],
)
def test_forward_is_sb3_forward_to_the_bit(
    cfg: dict[str, Any], grad: bool, deterministic: bool
) -> None:
    """The short forward returns SB3's actions, values and log-probabilities exactly, from
    the same draws of torch's generator, and leaves the generator in the same state."""
    torch.manual_seed(0)
    net, env = _net(cfg)
    obs, _ = net.obs_to_tensor(env.reset())
    obs = {k: v * 1.7 for k, v in obs.items()}  # also beyond the Box bounds
    results = []
    for forward in (net.forward, super(SmartbotActorCriticPolicy, net).forward):
        torch.manual_seed(123)
        with torch.set_grad_enabled(grad):
            results.append([t.detach() for t in forward(obs, deterministic)])
        results[-1].append(torch.rand(3))  # the generator's state after the call
    for ours, sb3 in zip(*results, strict=True):
        assert ours.shape == sb3.shape and torch.equal(ours, sb3)


def test_forward_falls_back_to_sb3_for_other_distributions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """gSDE (a state-dependent noise distribution) is not the Gaussian the short path
    computes: SB3's own forward runs, and its result is what comes back."""
    import policies.actor_critic as ac

    def short_path(*_: Any) -> Any:
        raise AssertionError("the short path ran for gSDE")

    monkeypatch.setattr(ac, "gaussian_log_prob", short_path)
    torch.manual_seed(0)
    env = make_sb3_env(POINTNAV, 4, seed=0)
    model = PPO(
        SmartbotActorCriticPolicy,
        env,
        use_sde=True,
        n_steps=8,
        batch_size=32,
        policy_kwargs={**build_policy_kwargs("ppo", CFG), "squash_mean": True},
        device="cpu",
    )
    obs, _ = model.policy.obs_to_tensor(env.reset())
    with torch.no_grad():
        actions, values, log_prob = model.policy(obs)
    assert actions.shape == (4, 2) and values.shape == (4, 1) and log_prob.shape == (4,)
    torch.manual_seed(5)
    with torch.no_grad():
        model.policy.reset_noise(4)
        ours = model.policy(obs, deterministic=True)
        sb3 = super(SmartbotActorCriticPolicy, model.policy).forward(obs, deterministic=True)
    for a, b in zip(ours, sb3, strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize(
    "cfg",
    [
        CFG,
        {"net_arch": {"pi": [64, 64], "vf": [64, 64]}, "activation": "tanh"},
        {**CFG, "extractor_kwargs": {"mlp_hidden": []}, "log_std_init": -0.5},
    ],
)
def test_evaluate_actions_is_sb3s_to_the_bit(cfg: dict[str, Any]) -> None:
    """Values, log-probabilities, entropies and the gradients of a loss built from them
    are SB3's exactly, for actions inside and outside the bounds."""
    torch.manual_seed(0)
    net, env = _net(cfg)
    obs, _ = net.obs_to_tensor(env.reset())
    obs = {k: v * 1.3 for k, v in obs.items()}
    actions = torch.randn(8, 2) * 1.5
    results = []
    for evaluate in (net.evaluate_actions, super(SmartbotActorCriticPolicy, net).evaluate_actions):
        net.zero_grad()
        values, log_prob, entropy = evaluate(obs, actions)
        assert entropy is not None
        (values.sum() * 0.5 - log_prob.mean() - 0.01 * entropy.mean()).backward()
        grads = [p.grad.clone() for p in net.parameters() if p.grad is not None]
        results.append([values.detach(), log_prob.detach(), entropy.detach(), *grads])
    assert len(results[0]) == len(results[1]) > 3
    for ours, sb3 in zip(*results, strict=True):
        assert ours.shape == sb3.shape and torch.equal(ours, sb3)


def test_evaluate_actions_falls_back_to_sb3_for_gsde() -> None:
    torch.manual_seed(0)
    env = make_sb3_env(POINTNAV, 4, seed=0)
    model = PPO(
        SmartbotActorCriticPolicy, env, use_sde=True, n_steps=8, batch_size=32, device="cpu"
    )
    obs, _ = model.policy.obs_to_tensor(env.reset())
    actions = torch.zeros(4, 2)
    with torch.no_grad():
        ours = model.policy.evaluate_actions(obs, actions)
        sb3 = super(SmartbotActorCriticPolicy, model.policy).evaluate_actions(obs, actions)
    for a, b in zip(ours, sb3, strict=True):
        assert a is not None and b is not None and torch.equal(a, b)


@pytest.mark.parametrize("algo", ["ppo", "a2c"])
def test_training_with_our_policy_gives_sb3s_weights(algo: str) -> None:
    """Without squash_mean, our policy class trains to the same weights as SB3's."""
    from stable_baselines3 import A2C

    cls = {"ppo": PPO, "a2c": A2C}[algo]
    cfg = {"net_arch": {"pi": [32, 32], "vf": [32, 32]}}
    kwargs: dict[str, Any] = {"n_steps": 16, "device": "cpu", "seed": 3}
    if algo == "ppo":
        kwargs.update(batch_size=32, n_epochs=2)
    weights = []
    for policy in (policy_class(algo, cfg), MultiInputActorCriticPolicy):
        env = make_sb3_env(POINTNAV, 4, seed=0)
        model = cls(policy, env, policy_kwargs=build_policy_kwargs(algo, cfg), **kwargs)
        model.learn(128)
        weights.append(model.policy.state_dict())
    assert weights[0].keys() == weights[1].keys()
    for key in weights[0]:
        assert torch.equal(weights[0][key], weights[1][key]), key
