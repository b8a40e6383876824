"""The ``seen`` sensor (cells the camera's view has covered) and ``explore_by: seen``."""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import envs  # noqa: F401  (registers the ids)
from envs.seen import SEEN_RINGS, SeenMemory, beams_in_view
from envs.tasks import make_task
from envs.visits import VISIT_CELL, VISIT_GRID

OBJECTNAV = "smartbot/ObjectNav-v0"
POINTNAV = "smartbot/PointNav-v0"
CENTRE = VISIT_GRID // 2
ONE_BEAM = np.array([0.0])  # a lidar of one beam, straight ahead


def _look(memory: SeenMemory, pose: tuple[float, float, float], ranges: list[float]) -> float:
    """One slot looks from the dead-reckoned ``pose`` with lidar ``ranges``; new cells."""
    new = memory.look(np.array([pose], np.float64), np.array([ranges], np.float32), np.array([0]))
    return float(new[0])


def _reading(memory: SeenMemory, pose: tuple[float, float, float]) -> np.ndarray[Any, Any]:
    out = np.zeros((1, SeenMemory.size), np.float32)
    memory.read(np.array([pose], np.float64), np.array([0]), out)
    return out[0]


def test_beams_in_view_are_those_within_half_the_camera_fov() -> None:
    angles = -math.pi + np.arange(64) * (2 * math.pi / 64)  # the default full-circle lidar
    got = beams_in_view(angles, math.pi / 2)
    np.testing.assert_array_equal(got, np.arange(24, 41))  # -pi/4 .. +pi/4: 17 beams
    assert beams_in_view(angles, 2 * math.pi).size == 64


def test_a_beam_marks_every_cell_it_crosses_up_to_its_range() -> None:
    memory = SeenMemory(1, ONE_BEAM, fov=1.0, reach=4.0)
    memory.reset(np.array([0]))
    # From the start cell's centre-left edge along +x, a 1.2 m return: x in [0, 1.2]
    # crosses the cells [0, 0.5), [0.5, 1.0) and [1.0, 1.5).
    assert _look(memory, (0.0, 0.1, 0.0), [1.2]) == 3.0
    assert memory.seen[0, CENTRE, CENTRE : CENTRE + 3].all()
    assert memory.seen.sum() == 3
    assert _look(memory, (0.0, 0.1, 0.0), [1.2]) == 0.0  # nothing new the second time
    # Turned to face +y (left), it takes in the column above.
    assert _look(memory, (0.1, 0.1, math.pi / 2), [0.7]) == 1.0  # [0.5, 1.0) above
    assert memory.seen[0, CENTRE + 1, CENTRE]


def test_reach_caps_a_long_beam() -> None:
    memory = SeenMemory(1, ONE_BEAM, fov=1.0, reach=0.9)
    memory.reset(np.array([0]))
    assert _look(memory, (0.0, 0.1, 0.0), [6.0]) == 2.0  # up to x = 0.9: two cells
    with pytest.raises(ValueError, match=r"reach: expected a distance > 0 m"):
        SeenMemory(1, ONE_BEAM, fov=1.0, reach=0.0)


def test_beams_outside_the_camera_view_are_ignored() -> None:
    memory = SeenMemory(1, np.array([-2.0, 0.0, 2.0]), fov=1.0, reach=4.0)
    np.testing.assert_array_equal(memory.beams, [1])
    memory.reset(np.array([0]))
    assert _look(memory, (0.0, 0.1, 0.0), [5.0, 0.2, 5.0]) == 1.0  # only the short middle beam
    with pytest.raises(ValueError, match=r"fov: no lidar beam lies within"):
        SeenMemory(1, np.array([-0.5, 0.5]), fov=0.5, reach=4.0)


def test_reading_samples_rings_around_the_robot_and_turns_with_it() -> None:
    memory = SeenMemory(1, ONE_BEAM, fov=1.0, reach=4.0)
    memory.reset(np.array([0]))
    _look(memory, (0.25, 0.25, 0.0), [6.0])  # the row of the start cell, 4 m ahead
    want = np.zeros(SeenMemory.size, np.float32)
    want[0] = 1.0
    rings = len(SEEN_RINGS)
    want[1 : 1 + rings] = 1.0  # ahead (direction 0) at 1, 2, 3 and 4 m
    np.testing.assert_array_equal(_reading(memory, (0.25, 0.25, 0.0)), want)
    # Facing the other way, the same cells lie behind (direction 4).
    back = np.zeros(SeenMemory.size, np.float32)
    back[0] = 1.0
    back[1 + 4 * rings : 1 + 5 * rings] = 1.0
    np.testing.assert_array_equal(_reading(memory, (0.25, 0.25, math.pi)), back)


def test_reset_forgets_only_the_named_slots() -> None:
    memory = SeenMemory(2, ONE_BEAM, fov=1.0, reach=4.0)
    memory.reset(np.array([0, 1]))
    memory.look(np.zeros((2, 3)), np.full((2, 1), 2.0, np.float32), np.array([0, 1]))
    memory.reset(np.array([1]))
    assert memory.seen[0].any() and not memory.seen[1].any()


@settings(max_examples=40, deadline=None)
@given(
    x=st.floats(-5.0, 5.0),
    y=st.floats(-5.0, 5.0),
    yaw=st.floats(-math.pi, math.pi),
    ranges=st.lists(st.floats(0.0, 6.0), min_size=8, max_size=8),
    reach=st.floats(0.1, 6.0),
)
def test_new_cells_add_up_and_stay_within_reach(
    x: float, y: float, yaw: float, ranges: list[float], reach: float
) -> None:
    angles = np.linspace(-0.7, 0.7, 8)
    memory = SeenMemory(1, angles, fov=math.pi / 2, reach=reach)
    memory.reset(np.array([0]))
    new = _look(memory, (x, y, yaw), ranges)
    assert new == memory.seen.sum() >= 1  # the robot's own cell at least
    assert _look(memory, (x, y, yaw), ranges) == 0.0
    rows, cols = np.nonzero(memory.seen[0])
    cx = (cols + 0.5) * VISIT_CELL - VISIT_GRID * VISIT_CELL / 2
    cy = (rows + 0.5) * VISIT_CELL - VISIT_GRID * VISIT_CELL / 2
    far = max(min(r, reach) for r in np.asarray(ranges, np.float32).astype(float))
    assert np.hypot(cx - x, cy - y).max() <= far + VISIT_CELL / math.sqrt(2) + 1e-9


def test_env_observes_seen_and_pays_the_explore_bonus_per_cell_seen() -> None:
    env = gym.make(
        OBJECTNAV,
        sensors=["camera", "target", "seen"],
        explore_bonus=0.01,
        explore_by="seen",
        max_steps=60,
    )
    assert env.observation_space["seen"].shape == (SeenMemory.size,)
    obs, _ = env.reset(seed=3)
    task: Any = env.unwrapped.task  # type: ignore[attr-defined]
    start = int(task.seen.seen[0].sum())
    assert start >= 1 and obs["seen"][0] == 1.0  # the start view, unpaid
    total = 0.0
    for _ in range(60):
        obs, _, terminated, truncated, info = env.step(np.array([0.6, 0.8], np.float32))
        assert info["reward_explore"] == pytest.approx(0.01 * task.seen.new_cells[0])
        total += info["reward_explore"]
        assert env.observation_space.contains(obs)
        if terminated or truncated:
            break
    assert total == pytest.approx(0.01 * (task.seen.seen[0].sum() - start))
    assert total > 0


def test_seen_reads_the_same_lidar_the_observation_shows() -> None:
    task = make_task(POINTNAV, 3, {"sensors": ["lidar", "goal", "seen"]})
    plain = make_task(POINTNAV, 3, {"sensors": ["lidar", "goal"]})
    for t in (task, plain):
        t.seed(np.arange(3), [5, 6, 7])
        t.reset(np.arange(3))
    actions = np.tile([[0.8, 0.3]], (3, 1))
    for _ in range(20):
        task.step(actions)
        plain.step(actions)
        np.testing.assert_array_equal(task.obs["lidar"], plain.obs["lidar"])


def test_seen_without_a_lidar_beam_in_the_camera_view_is_refused() -> None:
    lidar = {"beams": 2, "fov": 1.0}  # beams at -0.5 and +0.5 rad
    with pytest.raises(ValueError, match=r"sim\.camera\.fov: no lidar beam lies within 0\.5 rad"):
        gym.make(POINTNAV, sensors=["lidar", "seen"], sim={"lidar": lidar, "camera": {"fov": 0.5}})
    env = gym.make(
        POINTNAV, sensors=["lidar", "seen"], sim={"lidar": lidar, "camera": {"fov": 1.2}}
    )
    assert env.observation_space["seen"].shape == (SeenMemory.size,)


def test_memories_are_kept_only_when_asked_for() -> None:
    assert make_task(POINTNAV, 2, {}).seen is None
    assert make_task(POINTNAV, 2, {"explore_bonus": 0.1}).seen is None  # counts visits
    task = make_task(POINTNAV, 2, {"explore_bonus": 0.1, "explore_by": "seen"})
    assert task.seen is not None and task.visits is not None and "seen" not in task.obs


@pytest.mark.parametrize(
    ("field", "bad", "named"),
    [
        ("explore_by", "sight", r"explore_by: 'sight' is not allowed; allowed: visits, seen"),
        ("seen_range", 0.0, r"seen_range"),
        ("seen_range", -2.0, r"seen_range"),
    ],
)
def test_bad_seen_settings_are_named(field: str, bad: Any, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        gym.make(OBJECTNAV, **{field: bad})
