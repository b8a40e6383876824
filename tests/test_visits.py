"""The ``visits`` sensor (dead-reckoned visit counts) and the ``explore_bonus`` term."""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import envs  # noqa: F401  (registers the ids)
from envs.tasks import make_task
from envs.visits import SATURATION, VISIT_CELL, VISIT_GRID, VisitMemory

OBJECTNAV = "smartbot/ObjectNav-v0"
POINTNAV = "smartbot/PointNav-v0"
CENTRE = VISIT_GRID // 2


def _drive(memory: VisitMemory, odom_rows: list[tuple[float, float, float]]) -> list[bool]:
    """Feed one slot a sequence of body-frame (dx, dy, dyaw) steps; the new-cell flags."""
    flags = []
    for row in odom_rows:
        flags.append(bool(memory.update(np.array([row], dtype=np.float64))[0]))
    return flags


def test_straight_drive_counts_steps_per_cell_and_reads_them_around_the_robot() -> None:
    memory = VisitMemory(1)
    memory.reset(np.array([0]))
    # 0.125 m a step along +x (exact in binary): x = 0.125 k.
    flags = _drive(memory, [(0.125, 0.0, 0.0)] * 8)
    # Cells of 0.5 m: steps 1-3 stay in the start cell, 4-7 in the next, 8 in the third.
    assert flags == [False, False, False, True, False, False, False, True]
    assert memory.counts[0, CENTRE, CENTRE] == 4.0  # the start step + 3
    assert memory.counts[0, CENTRE, CENTRE + 1] == 4.0
    assert memory.counts[0, CENTRE, CENTRE + 2] == 1.0
    assert memory.counts.sum() == 9.0
    np.testing.assert_array_equal(memory.pose[0], [1.0, 0.0, 0.0])
    out = np.zeros((1, VisitMemory.size), np.float32)
    memory.read(np.array([0]), out)
    want = np.zeros(VisitMemory.size, np.float32)
    want[0] = 1.0 / SATURATION  # own cell: one step
    want[1 + 3 * 4 + 0] = 4.0 / SATURATION  # behind (180 deg) at 1 m: the start cell
    np.testing.assert_allclose(out[0], want, rtol=0, atol=1e-7)


def test_reading_saturates_and_turns_with_the_robot() -> None:
    memory = VisitMemory(1)
    memory.reset(np.array([0]))
    _drive(memory, [(0.0, 0.0, 0.0)] * 40)  # 41 steps in the start cell
    # Turn a quarter left on the spot, then drive 1 m along the new heading (+y).
    _drive(memory, [(0.0, 0.0, math.pi / 2)])
    _drive(memory, [(0.25, 0.0, 0.0)] * 4)
    assert memory.pose[0, 0] == pytest.approx(0.0, abs=1e-12)
    assert memory.pose[0, 1] == pytest.approx(1.0, abs=1e-12)
    out = np.zeros((1, VisitMemory.size), np.float32)
    memory.read(np.array([0]), out)
    assert out[0, 1 + 3 * 4] == 1.0  # behind at 1 m: the start cell, saturated
    assert out[0, 1 + 3 * 0] == 0.0  # ahead: never visited


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-0.06, 0.06), st.floats(-0.01, 0.01), st.floats(-0.3, 0.3)),
        min_size=1,
        max_size=60,
    )
)
def test_dead_reckoning_composes_body_frame_steps(steps: list[tuple[float, float, float]]) -> None:
    memory = VisitMemory(1)
    memory.reset(np.array([0]))
    x = y = yaw = 0.0
    seen = {(CENTRE, CENTRE)}
    for dx, dy, dyaw in steps:
        new = _drive(memory, [(dx, dy, dyaw)])[0]
        x += math.cos(yaw) * dx - math.sin(yaw) * dy
        y += math.sin(yaw) * dx + math.cos(yaw) * dy
        yaw = (yaw + dyaw + math.pi) % (2 * math.pi) - math.pi
        cell = (
            math.floor((y + VISIT_GRID * VISIT_CELL / 2) / VISIT_CELL),
            math.floor((x + VISIT_GRID * VISIT_CELL / 2) / VISIT_CELL),
        )
        assert new == (cell not in seen)
        seen.add(cell)
    np.testing.assert_allclose(memory.pose[0], [x, y, yaw], atol=1e-9)
    assert memory.counts.sum() == len(steps) + 1
    assert np.count_nonzero(memory.counts) == len(seen)


def test_off_the_grid_reads_zero_and_counts_nothing() -> None:
    memory = VisitMemory(1)
    memory.reset(np.array([0]))
    half = VISIT_GRID * VISIT_CELL / 2
    flags = _drive(memory, [(half + 1.0, 0.0, 0.0), (0.0, 0.0, 0.0)])
    assert flags == [False, False]
    assert memory.counts.sum() == 1.0  # only the start step
    out = np.ones((1, VisitMemory.size), np.float32)
    memory.read(np.array([0]), out)
    np.testing.assert_array_equal(out[0], 0.0)


def test_reset_clears_only_the_named_slots() -> None:
    memory = VisitMemory(2)
    memory.reset(np.array([0, 1]))
    memory.update(np.array([[0.6, 0.0, 0.1], [0.6, 0.0, 0.1]]))
    memory.reset(np.array([1]))
    assert memory.counts[0].sum() == 2.0 and memory.counts[1].sum() == 1.0
    np.testing.assert_array_equal(memory.pose[1], 0.0)
    assert memory.pose[0, 0] == pytest.approx(0.6)


def test_dead_reckoning_uses_the_simulator_frame_convention() -> None:
    """Fed the simulator's true body-frame steps, the memory's pose is the robot's pose in
    its start frame: odometry rows are read in the same convention as the simulator's."""
    task = make_task(OBJECTNAV, 4, {"sensors": ["camera", "target"]})
    task.seed(np.arange(4), [0, 1, 2, 3])
    task.reset(np.arange(4))
    start = task.sim.pose.copy()
    memory = VisitMemory(4)
    memory.reset(np.arange(4))
    rng = np.random.default_rng(0)
    for _ in range(40):
        task.step(rng.uniform(-1, 1, (4, 2)))
        if task.ep_steps.min() == 0:  # an episode ended: stop before a reset moves a slot
            break
        memory.update(task.sim.true_disp)
    for i in range(4):
        c, s = math.cos(start[i, 2]), math.sin(start[i, 2])
        dx, dy = task.sim.pose[i, 0] - start[i, 0], task.sim.pose[i, 1] - start[i, 1]
        local = (c * dx + s * dy, -s * dx + c * dy)
        np.testing.assert_allclose(memory.pose[i, :2], local, atol=1e-9)


def test_env_observes_visits_and_pays_the_explore_bonus_per_new_cell() -> None:
    env = gym.make(
        OBJECTNAV, sensors=["camera", "target", "visits"], explore_bonus=0.25, max_steps=80
    )
    assert env.observation_space["visits"].shape == (VisitMemory.size,)
    obs, _ = env.reset(seed=3)
    assert obs["visits"][0] == pytest.approx(1.0 / SATURATION)
    total = 0.0
    for _ in range(80):
        obs, reward, terminated, truncated, info = env.step(np.array([1.0, 0.4], np.float32))
        assert info["reward_explore"] in (0.0, 0.25)
        total += info["reward_explore"]
        assert env.observation_space.contains(obs)
        if terminated or truncated:
            break
    task: Any = env.unwrapped.task  # type: ignore[attr-defined]
    new_cells = np.count_nonzero(task.visits.counts[0]) - 1
    assert new_cells > 0
    assert total == pytest.approx(0.25 * new_cells)


def test_no_memory_is_kept_unless_asked_for() -> None:
    task = make_task(POINTNAV, 2, {})
    assert task.visits is None
    task = make_task(POINTNAV, 2, {"explore_bonus": 0.1})
    assert task.visits is not None and "visits" not in task.obs


def test_bad_explore_bonus_is_named() -> None:
    with pytest.raises(ValueError, match=r"explore_bonus"):
        gym.make(POINTNAV, explore_bonus=-1.0)


def test_visits_saturation_sets_the_steps_at_which_a_cell_reads_one() -> None:
    memory = VisitMemory(1, saturation=5)
    memory.reset(np.array([0]))
    out = np.zeros((1, VisitMemory.size), np.float32)
    memory.read(np.array([0]), out)
    assert out[0, 0] == pytest.approx(1.0 / 5)  # the start step
    _drive(memory, [(0.0, 0.0, 0.0)] * 3)
    memory.read(np.array([0]), out)
    assert out[0, 0] == pytest.approx(4.0 / 5)
    _drive(memory, [(0.0, 0.0, 0.0)] * 3)
    memory.read(np.array([0]), out)
    assert out[0, 0] == 1.0  # 7 steps, capped at 5
    env = gym.make(OBJECTNAV, sensors=["camera", "target", "visits"], visits_saturation=4)
    obs, _ = env.reset(seed=0)
    assert obs["visits"][0] == pytest.approx(1.0 / 4)
    assert gym.make(OBJECTNAV).unwrapped.task.config.visits_saturation == SATURATION  # type: ignore[attr-defined]


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_bad_visits_saturation_is_named(bad: Any) -> None:
    named = r"visits_saturation: .*(out of range|expected an integer)"
    with pytest.raises(ValueError, match=named):
        gym.make(OBJECTNAV, visits_saturation=bad)
    with pytest.raises(ValueError, match=r"saturation: expected at least 1 step"):
        VisitMemory(1, saturation=0.5)
