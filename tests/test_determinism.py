"""The same seed gives the same episodes, bit for bit, through all three doors.

Reference: the single env ``gym.make(id)`` reset with seed ``s + i`` and then continued
with unseeded resets after each episode end. It must equal slot ``i`` of

* the native vector env (``gym.make_vec(..., vectorization_mode="vector_entry_point")``,
  SAME_STEP autoreset) reset with seed ``s``, at n = 1, 7 and 64;
* the SB3 adapter ``make_sb3_env(id, n, seed=s)``.

Observations, rewards, terminated/truncated flags and the final observations of ended
episodes are compared with ``np.array_equal``, across several autoresets (short
``max_steps``), for a fixed pre-generated action sequence.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from numpy.typing import NDArray

import envs  # noqa: F401  (registers the ids)
from envs import TASK_IDS, make_sb3_env

POINTNAV, OBJECTNAV, CUEMAZE = TASK_IDS
SEED = 1234
STEPS = 60
#: Short episodes: every slot autoresets several times within STEPS.
CONFIGS: dict[str, dict[str, Any]] = {
    POINTNAV: {
        "max_steps": 17,
        "sensors": ["lidar", "goal", "velocity", "imu", "odometry", "bumper"],
    },
    OBJECTNAV: {"max_steps": 23, "sensors": ["camera", "depth", "target", "lidar"]},
    CUEMAZE: {"max_steps": 19, "sensors": ["lidar", "cue", "velocity", "camera"]},
}

Obs = dict[str, NDArray[Any]]


def _actions(n: int, steps: int = STEPS) -> NDArray[np.float32]:
    """(steps, n, 2) fixed actions: mostly in range, a few saturating, some exactly 0."""
    rng = np.random.default_rng(20240601)
    a = rng.uniform(-1.0, 1.0, (steps, n, 2)).astype(np.float32)
    a[::7] = 1.0
    a[3::11] = 0.0
    return a


class _Trace:
    """What one slot saw: per step the returned obs, reward, flags and (if ended) final obs."""

    def __init__(self) -> None:
        self.reset_obs: Obs = {}
        self.obs: list[Obs] = []
        self.reward: list[float] = []
        self.terminated: list[bool] = []
        self.truncated: list[bool] = []
        self.final: dict[int, Obs] = {}


def _single(env_id: str, seed: int, actions: NDArray[np.float32]) -> _Trace:
    """Slot reference: the single env, with SAME_STEP-style reset after an episode ends."""
    env = gym.make(env_id, **CONFIGS[env_id])
    tr = _Trace()
    tr.reset_obs, _ = env.reset(seed=seed)
    for t, a in enumerate(actions):
        obs, reward, term, trunc, _ = env.step(a)
        if term or trunc:
            tr.final[t] = obs
            obs, _ = env.reset()
        tr.obs.append(obs)
        tr.reward.append(float(reward))
        tr.terminated.append(term)
        tr.truncated.append(trunc)
    env.close()
    return tr


def _assert_obs_equal(a: Obs, b: Obs, where: str) -> None:
    assert a.keys() == b.keys(), where
    for k in a:
        assert a[k].dtype == b[k].dtype, (where, k)
        assert np.array_equal(a[k], b[k]), (where, k, np.abs(a[k].astype(float) - b[k]).max())


def _slots(n: int) -> list[int]:
    return sorted({0, n // 2, n - 1})


_REFS: dict[tuple[str, int], _Trace] = {}


def _ref(env_id: str, slot: int, n_max: int) -> _Trace:
    key = (env_id, slot)
    if key not in _REFS:
        _REFS[key] = _single(env_id, SEED + slot, _actions(n_max)[:, slot])
    return _REFS[key]


N_MAX = 64


@pytest.mark.parametrize("n", [1, 7, 64])
@pytest.mark.parametrize("env_id", [POINTNAV, OBJECTNAV])
def test_vector_slot_i_equals_single_env_seeded_s_plus_i(env_id: str, n: int) -> None:
    # slot i of any n plays the actions column i of the same (STEPS, 64, 2) table
    actions = _actions(N_MAX)[:, :n]
    vec = gym.make_vec(env_id, n, vectorization_mode="vector_entry_point", **CONFIGS[env_id])
    obs, info = vec.reset(seed=SEED)
    slots = _slots(n)
    for i in slots:
        ref = _ref(env_id, i, N_MAX)
        _assert_obs_equal({k: v[i] for k, v in obs.items()}, ref.reset_obs, f"reset slot {i}")
    ended = 0
    for t in range(STEPS):
        obs, reward, term, trunc, info = vec.step(actions[t])
        for i in slots:
            ref = _ref(env_id, i, N_MAX)
            where = f"n={n} t={t} slot={i}"
            assert reward[i] == ref.reward[t], where
            assert bool(term[i]) == ref.terminated[t] and bool(trunc[i]) == ref.truncated[t], where
            _assert_obs_equal({k: v[i] for k, v in obs.items()}, ref.obs[t], where)
            if t in ref.final:
                ended += 1
                assert info["_final_obs"][i], where
                _assert_obs_equal(info["final_obs"][i], ref.final[t], where + " final")
    assert ended >= 2 * len(slots)  # autoresets were crossed in every compared slot
    vec.close()


@pytest.mark.parametrize("env_id", [POINTNAV, OBJECTNAV])
def test_sb3_adapter_equals_vector_env_and_single_env(env_id: str) -> None:
    n = 7
    actions = _actions(N_MAX)[:, :n]
    vec = gym.make_vec(env_id, n, vectorization_mode="vector_entry_point", **CONFIGS[env_id])
    sb3 = make_sb3_env(env_id, n, seed=SEED, **CONFIGS[env_id])
    vobs, _ = vec.reset(seed=SEED)
    sobs: Any = sb3.reset()
    _assert_obs_equal(vobs, sobs, "reset")
    for t in range(STEPS):
        vobs, vrew, vterm, vtrunc, vinfo = vec.step(actions[t])
        sobs, srew, sdone, sinfos = sb3.step(actions[t])
        where = f"t={t}"
        _assert_obs_equal(vobs, sobs, where)
        assert np.array_equal(srew, vrew.astype(np.float32)), where
        assert np.array_equal(sdone, vterm | vtrunc), where
        for j in np.flatnonzero(sdone):
            _assert_obs_equal(sinfos[j]["terminal_observation"], vinfo["final_obs"][j], where)
            assert sinfos[j]["TimeLimit.truncated"] == bool(vtrunc[j] and not vterm[j])
        for i in _slots(n):
            ref = _ref(env_id, i, N_MAX)
            assert np.float32(ref.reward[t]) == srew[i]
            _assert_obs_equal({k: v[i] for k, v in sobs.items()}, ref.obs[t], where)


@pytest.mark.parametrize("env_id", TASK_IDS)
def test_single_env_replays_and_seeds_differ(env_id: str) -> None:
    actions = _actions(1, 40)[:, 0]
    a = _single(env_id, 7, actions)
    b = _single(env_id, 7, actions)
    c = _single(env_id, 8, actions)
    _assert_obs_equal(a.reset_obs, b.reset_obs, "reset")
    for t in range(len(actions)):
        _assert_obs_equal(a.obs[t], b.obs[t], f"t={t}")
        assert a.reward[t] == b.reward[t]
    assert any(not np.array_equal(x[k], y[k]) for x, y in zip(a.obs, c.obs, strict=True) for k in x)


def test_reseeding_the_same_vector_env_replays() -> None:
    vec = gym.make_vec(POINTNAV, 4, vectorization_mode="vector_entry_point", max_steps=9)
    actions = _actions(4, 25)
    runs = []
    for _ in range(2):
        obs, _ = vec.reset(seed=5)
        seq = [obs]
        for a in actions:
            seq.append(vec.step(a)[0])
        runs.append(seq)
    for x, y in zip(*runs, strict=True):
        _assert_obs_equal(x, y, "replay")


def test_vector_reset_with_a_seed_list_and_a_mask() -> None:
    """reset(seed=[...]) seeds each slot; reset_mask resets only the chosen slots."""
    vec: Any = gym.make_vec(POINTNAV, 3, vectorization_mode="vector_entry_point")
    single = gym.make(POINTNAV)
    obs, info = vec.reset(seed=[40, 41, 42])
    for i, s in enumerate([40, 41, 42]):
        ref, ref_info = single.reset(seed=s)
        _assert_obs_equal({k: v[i] for k, v in obs.items()}, ref, f"slot {i}")
        assert info["map_seed"][i] == ref_info["map_seed"]
    before = {k: v.copy() for k, v in obs.items()}
    obs, info = vec.reset(seed=[77], options={"reset_mask": np.array([False, True, False])})
    ref, _ = single.reset(seed=77)
    _assert_obs_equal({k: v[1] for k, v in obs.items()}, ref, "masked slot")
    for i in (0, 2):
        _assert_obs_equal(
            {k: v[i] for k, v in obs.items()},
            {k: v[i] for k, v in before.items()},
            f"untouched slot {i}",
        )


def test_sb3_seed_then_reset_equals_make_sb3_env_seed() -> None:
    a = make_sb3_env(OBJECTNAV, 3, seed=9)
    b = make_sb3_env(OBJECTNAV, 3)
    b.seed(9)
    _assert_obs_equal(a.reset(), b.reset(), "reset")
