"""The train bench's interleaved timing (no PPO here: fake chunks)."""

from __future__ import annotations

import pytest

from training import bench_train
from training.bench import BenchConfig, run_rows


def test_interleave_alternates_in_abba_order_until_every_name_had_its_time() -> None:
    calls: list[str] = []
    chunks = {name: (lambda name=name: calls.append(name)) for name in ("a", "b")}
    took = bench_train.interleave(chunks, seconds=0.0, min_chunks=3)
    assert calls == ["a", "b", "b", "a", "a", "b"]
    assert [len(t) for t in took.values()] == [3, 3]
    assert all(d >= 0.0 for t in took.values() for d in t)


def test_the_first_train_row_to_run_measures_all_and_the_others_read_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    measured: list[float] = []
    steps = bench_train.ROLLOUT

    def fake_time_ppo(seconds: float) -> dict[str, list[float]]:
        measured.append(seconds)
        return {
            "cartpole": [steps / 2000.0] * 4,
            "pointnav": [steps / 1900.0] * 4,
            "pointnav_sb3": [steps / 1700.0] * 4,
        }

    monkeypatch.setattr(bench_train, "time_ppo", fake_time_ppo)
    rows = bench_train.train_rows(BenchConfig(quick=True))
    results = run_rows(rows, seconds=0.5)
    assert measured == [0.5]  # one interleaved measurement for all rows
    by_name = {r.name: r for r in results}
    cartpole, pointnav = by_name["PPO CartPole-v1"], by_name["PPO PointNav-v0"]
    stock = by_name["PPO PointNav-v0 sb3-stock"]
    assert stock.slowdown == pytest.approx(2000.0 / 1700.0) and stock.met is None  # no target
    assert cartpole.units_done == 4 * steps and cartpole.throughput == pytest.approx(2000.0)
    assert pointnav.throughput == pytest.approx(1900.0)
    assert pointnav.slowdown == pytest.approx(2000.0 / 1900.0)
    assert pointnav.met is True  # within 1 / 0.9 of CartPole
    # a row run alone still measures (all, interleaved) and reports its own figure
    alone = run_rows([rows[1]], seconds=0.5)  # (the figure a row reads is used once)
    assert measured == [0.5, 0.5] and alone[0].throughput == pytest.approx(1900.0)


def test_each_row_trains_its_env_as_its_users_do() -> None:
    """CartPole and the stock PointNav row on SB3's policy and buffer; PointNav as
    ``smartbot train`` runs PPO: our policy class and rollout buffer; one network size."""
    from stable_baselines3.common.buffers import DictRolloutBuffer, RolloutBuffer
    from stable_baselines3.common.policies import MultiInputActorCriticPolicy

    from policies.actor_critic import SmartbotActorCriticPolicy
    from training.rollout_buffer import LeanDictRolloutBuffer

    models = {which: bench_train._ppo_model(which) for which in bench_train.MODELS}
    assert type(models["cartpole"].rollout_buffer) is RolloutBuffer
    assert type(models["pointnav_sb3"].rollout_buffer) is DictRolloutBuffer
    assert type(models["pointnav_sb3"].policy) is MultiInputActorCriticPolicy
    assert type(models["pointnav"].rollout_buffer) is LeanDictRolloutBuffer
    assert type(models["pointnav"].policy) is SmartbotActorCriticPolicy
    assert not models["pointnav"].policy.squash_mean
    for model in models.values():
        assert model.n_steps * model.n_envs == bench_train.ROLLOUT
        sizes = [p.shape[0] for p in model.policy.mlp_extractor.parameters() if p.ndim == 2]
        assert sizes == [128, 128, 128, 128]
