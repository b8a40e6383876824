"""Tests for robot.sim / robot.dynamics: determinism, contact, action sanitising, kinematics.

Worlds are built by hand (numpy occupancy grids) wherever an exact answer is checked; the
batch-consistency test also uses generated worlds to cover realistic maps.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.typing import NDArray

import robot.sim as sim_module
from robot.dynamics import disc_is_free
from robot.grid import clearance_ok
from robot.sim import PARALLEL_MIN_BATCH, Simulator, sanitize_actions
from robot.specs import (
    CameraSpec,
    ImuSpec,
    LidarSpec,
    OdometrySpec,
    RobotSpec,
    SimSpec,
    TerrainSpec,
    WorldSpec,
)
from robot.world import BOX, PILLAR, WALL, World, target_material

CELL = 0.05
FAST = settings(max_examples=30, deadline=None)

#: A spec with every noise source switched on (determinism must hold with all of them).
NOISY = SimSpec(
    lidar=LidarSpec(beams=32, noise_std=0.03, dropout=0.1),
    camera=CameraSpec(width=32, height=24, noise_std=4.0, depth=True),
    imu=ImuSpec(accel_noise=0.1, gyro_noise=0.02),
    odometry=OdometrySpec(noise=0.02),
)

#: No noise, no slip: every kinematic quantity is exact.
EXACT = SimSpec(
    robot=RobotSpec(actuator_noise=0.0),
    terrain=TerrainSpec(slip=(0.0,) * 4, slip_noise=(0.0,) * 4, vibration=(0.0,) * 4),
    imu=ImuSpec(accel_noise=0.0, gyro_noise=0.0),
    odometry=OdometrySpec(noise=0.0),
    lidar=LidarSpec(noise_std=0.0),
)


# ---------------------------------------------------------------------------- helpers
def room(rows: int, cols: int, terrain: int = 0, cell: float = CELL) -> World:
    """An empty rectangular room: one ring of wall cells around free space."""
    occ = np.zeros((rows, cols), dtype=np.uint8)
    occ[0, :] = occ[-1, :] = occ[:, 0] = occ[:, -1] = WALL
    ter = np.full((rows, cols), terrain, dtype=np.uint8)
    return World(occ, ter, cell, start=(cols * cell / 2, rows * cell / 2, 0.0))


def cluttered(seed: int, rows: int = 90, cols: int = 110) -> World:
    """A room with random boxes, pillars, targets and terrain patches; start pose is free."""
    rng = np.random.default_rng(seed)
    w = room(rows, cols)
    occ, ter = w.occupancy, w.terrain
    for _ in range(8):
        r, c = rng.integers(3, rows - 8), rng.integers(3, cols - 8)
        h, wd = rng.integers(1, 6, size=2)
        mat = rng.choice([WALL, BOX, PILLAR, target_material(int(rng.integers(6)))])
        occ[r : r + h, c : c + wd] = mat
    for _ in range(6):
        r, c = rng.integers(0, rows - 10), rng.integers(0, cols - 10)
        h, wd = rng.integers(5, 30, size=2)
        ter[r : r + h, c : c + wd] = rng.integers(0, 4)
    w.start = free_pose(w, rng)
    return w


def free_pose(
    w: World, rng: np.random.Generator, radius: float = 0.18
) -> tuple[float, float, float]:
    """A uniformly drawn pose whose disc touches nothing."""
    rows, cols = w.shape
    for _ in range(10_000):
        x = rng.uniform(0, cols * w.cell_size)
        y = rng.uniform(0, rows * w.cell_size)
        if clearance_ok(w.occupancy, x, y, radius + 0.02, w.cell_size):
            return (float(x), float(y), float(rng.uniform(-math.pi, math.pi)))
    raise AssertionError("no free pose")


def snapshot(sim: Simulator) -> dict[str, NDArray[np.generic]]:
    """Every state array and sensor reading, copied."""
    rgb, depth = sim.camera_depth()
    return {
        "pose": sim.pose.copy(),
        "vel": sim.vel.copy(),
        "true_vel": sim.true_vel.copy(),
        "imu": sim.imu.copy(),
        "odom": sim.odom.copy(),
        "true_disp": sim.true_disp.copy(),
        "bumper": sim.bumper.copy(),
        "contacts": sim.contacts.copy(),
        "lidar": sim.lidar().copy(),
        "camera": rgb.copy(),
        "depth": depth.copy(),
    }


def rollout(sim: Simulator, actions: NDArray[np.float64]) -> list[dict[str, NDArray[np.generic]]]:
    """Step through ``actions`` (T, B, 2), snapshotting after every step."""
    out = []
    for a in actions:
        sim.step(a)
        out.append(snapshot(sim))
    return out


def assert_same(a: dict[str, NDArray[np.generic]], b: dict[str, NDArray[np.generic]]) -> None:
    for key in a:
        assert a[key].dtype == b[key].dtype, key
        assert a[key].tobytes() == b[key].tobytes(), f"{key} differs"


# ------------------------------------------------------------------------ determinism
def test_same_seed_is_bit_identical() -> None:
    world = cluttered(3)
    actions = np.random.default_rng(7).uniform(-1.2, 1.2, size=(50, 1, 2))
    runs = []
    for _ in range(2):
        sim = Simulator(NOISY, batch_size=1)
        sim.reset([0], seeds=[42], worlds=[world])
        runs.append(rollout(sim, actions))
    for s1, s2 in zip(*runs, strict=True):
        assert_same(s1, s2)
    # ...and a different seed gives a different noise stream.
    sim = Simulator(NOISY, batch_size=1)
    sim.reset([0], seeds=[43], worlds=[world])
    other = rollout(sim, actions)
    assert not np.array_equal(other[-1]["lidar"], runs[0][-1]["lidar"])


def test_world_in_parallel_batch_equals_world_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    b = 64
    assert b >= PARALLEL_MIN_BATCH
    monkeypatch.setattr(sim_module, "PARALLEL_MIN_BATCH_DYNAMICS", b)  # all kernels parallel
    rng = np.random.default_rng(0)
    # Mixed sizes make the batch grids padded; half hand-built, half generated maps.
    worlds = [cluttered(100 + k, rows=60 + k, cols=120 - k) for k in range(b // 2)]
    try:
        from robot.worldgen import generate_world, sample_free_pose

        for k in range(b - len(worlds)):
            w = generate_world(WorldSpec(kind="mixed"), seed=k)
            w.start = sample_free_pose(w, rng)
            worlds.append(w)
    except ImportError:  # pragma: no cover - worldgen missing
        worlds += [cluttered(500 + k) for k in range(b - len(worlds))]
    seeds = list(range(1000, 1000 + b))
    actions = rng.uniform(-1.1, 1.1, size=(50, b, 2))

    batch = Simulator(NOISY, batch_size=b)
    assert batch.parallel
    batch.reset(np.arange(b), seeds=seeds, worlds=worlds)
    together = rollout(batch, actions)

    for k in range(b):
        alone = Simulator(NOISY, batch_size=1)
        assert not alone.parallel
        alone.reset([0], seeds=[seeds[k]], worlds=[worlds[k]])
        for t, snap in enumerate(rollout(alone, actions[:, k : k + 1])):
            for key, value in snap.items():
                assert value[0].tobytes() == together[t][key][k].tobytes(), (k, t, key)


def test_reset_subset_leaves_others_untouched() -> None:
    b = 6
    worlds = [cluttered(10 + k) for k in range(b)]
    rng = np.random.default_rng(1)
    first = rng.uniform(-1, 1, size=(10, b, 2))
    second = rng.uniform(-1, 1, size=(10, b, 2))
    a = Simulator(NOISY, batch_size=b)
    ref = Simulator(NOISY, batch_size=b)
    for sim in (a, ref):
        sim.reset(range(b), seeds=range(b), worlds=worlds)
        rollout(sim, first)
    new_worlds = [cluttered(77), cluttered(78)]
    a.reset([1, 4], seeds=[91, 94], worlds=new_worlds)
    assert a.steps[1] == a.steps[4] == 0 and a.contacts[1] == 0
    assert np.array_equal(a.pose[[1, 4]], np.array([w.start for w in new_worlds]))
    got, want = rollout(a, second), rollout(ref, second)
    keep = [0, 2, 3, 5]
    for g, w in zip(got, want, strict=True):
        for key in g:
            assert g[key][keep].tobytes() == w[key][keep].tobytes(), key
    # The reset slots behave exactly like fresh simulators with those seeds and worlds.
    for slot, seed, world in ((1, 91, new_worlds[0]), (4, 94, new_worlds[1])):
        fresh = Simulator(NOISY, batch_size=1)
        fresh.reset([0], seeds=[seed], worlds=[world])
        for g, f in zip(got, rollout(fresh, second[:, slot : slot + 1]), strict=True):
            for key in g:
                assert g[key][slot].tobytes() == f[key][0].tobytes(), (slot, key)


def test_reset_errors_name_the_argument() -> None:
    sim = Simulator(SimSpec(), batch_size=2)
    with pytest.raises(ValueError, match="seeds"):
        sim.reset([0, 1], seeds=[1], worlds=[room(20, 20)] * 2)
    with pytest.raises(ValueError, match="indices"):
        sim.reset([0], seeds=[1])
    with pytest.raises(ValueError, match="cell_size"):
        sim.reset([0], seeds=[1], worlds=[room(20, 20, cell=0.1)])
    with pytest.raises(ValueError, match="batch_size"):
        Simulator(SimSpec(), batch_size=0)


# ------------------------------------------------------------------------ tunnelling
@settings(max_examples=40, deadline=None)
@given(
    speed=st.floats(0.2, 20.0),
    heading=st.floats(-1.3, 1.3),
    wall_col=st.integers(30, 70),
    thickness=st.integers(1, 3),
    gap=st.floats(0.0, 1.0),
    y0=st.floats(0.5, 3.5),
    transpose=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_no_tunnelling_through_a_wall(
    speed: float,
    heading: float,
    wall_col: int,
    thickness: int,
    gap: float,
    y0: float,
    transpose: bool,
    seed: int,
) -> None:
    """Drive at up to 20 m/s at a wall 1-3 cells thick: never cross it, never overlap it."""
    radius = 0.18
    spec = SimSpec(
        robot=RobotSpec(
            max_linear=speed, max_linear_accel=1000.0, max_angular_accel=1000.0, radius=radius
        )
    )
    rows, cols = 80, 100
    w = room(rows, cols)
    w.occupancy[:, wall_col : wall_col + thickness] = WALL
    wall_x = wall_col * CELL
    x0 = wall_x - radius - gap - 1e-6
    pose = (x0, y0, heading)
    if transpose:  # the same scene with a horizontal wall (exercises the other axis)
        w = World(w.occupancy.T.copy(), w.terrain.T.copy(), CELL)
        pose = (y0, x0, math.pi / 2 - heading)
    occ = w.occupancy
    sim = Simulator(spec, batch_size=1)
    sim.reset([0], seeds=[seed], worlds=[w], poses=[pose])
    steps = 30
    bumps = 0
    for _ in range(steps):
        sim.step(np.array([[1.0, 0.0]]))
        x, y, _ = sim.pose[0]
        along = y if transpose else x
        assert along < wall_x - radius + 1e-9, "crossed into or through the wall"
        assert clearance_ok(occ, x, y, radius, CELL)
        assert disc_is_free(occ, occ.shape[0], occ.shape[1], CELL, x, y, radius)
        bumps += int(sim.bumper[0])
    assert sim.contacts[0] == bumps
    # Far enough to reach the wall (even after sliding along a border): pressed against it.
    travel = 0.9 * speed * spec.robot.control_dt * steps
    if travel > (wall_x - radius - x0) + 4.5:
        event("reached the wall")
        assert bumps >= 1 and sim.bumper[0]
        x, y, _ = sim.pose[0]
        along = y if transpose else x
        assert wall_x - radius - along <= spec.robot.max_substep + 1e-9


@FAST
@given(seed=st.integers(0, 2**31), speed=st.floats(1.0, 20.0))
def test_never_overlaps_clutter(seed: int, speed: float) -> None:
    """Random actions at high speed among random boxes and thin diagonal walls."""
    rng = np.random.default_rng(seed)
    w = room(60, 60)
    w.occupancy[rng.random((60, 60)) < 0.01] = BOX
    for _ in range(3):  # diagonal one-cell lines: the corner-to-corner case
        r, c, n = rng.integers(5, 40), rng.integers(5, 40), rng.integers(5, 15)
        d = rng.choice([-1, 1])
        for i in range(n):
            w.occupancy[r + i, c + d * i] = WALL
    pose = free_pose(w, rng)
    spec = SimSpec(robot=RobotSpec(max_linear=speed, max_linear_accel=500.0))
    sim = Simulator(spec, batch_size=1)
    sim.reset([0], seeds=[seed], worlds=[w], poses=[pose])
    for a in rng.uniform(-1, 1, size=(25, 1, 2)):
        sim.step(a)
        x, y, _ = sim.pose[0]
        assert clearance_ok(w.occupancy, x, y, spec.robot.radius, CELL), (x, y)


def test_bumper_on_contact_and_motors_stall() -> None:
    w = room(40, 80)
    w.occupancy[:, 50] = WALL
    sim = Simulator(EXACT, batch_size=1)
    sim.reset([0], seeds=[0], worlds=[w], poses=[(50 * CELL - 0.18 - 0.3, 1.0, 0.0)])
    flags = []
    for _ in range(15):
        sim.step(np.array([[1.0, 0.0]]))
        flags.append(bool(sim.bumper[0]))
        if sim.bumper[0]:
            assert sim.vel[0, 0] == 0.0
    first = flags.index(True)
    assert first >= 1  # 0.3 m at <= 0.5 m/s takes several steps
    assert all(flags[first:])  # still pushing: still in contact
    assert not any(flags[:first])
    assert sim.contacts[0] == len(flags) - first
    assert 50 * CELL - 0.18 - sim.pose[0, 0] <= EXACT.robot.max_substep + 1e-12


# --------------------------------------------------------------------------- actions
def test_bad_actions_are_sanitised() -> None:
    sim = Simulator(SimSpec(), batch_size=4)
    sim.reset(range(4), seeds=range(4), worlds=[room(60, 60)] * 4)
    bad = sim.step(np.array([[np.nan, 0.5], [np.inf, -np.inf], [1e300, -1e300], [0.3, -0.9]]))
    assert bad.tolist() == [1, 2, 2, 0]
    for arr in (sim.pose, sim.vel, sim.imu, sim.odom, sim.true_vel, sim.true_disp):
        assert np.isfinite(arr).all()
    clean, counts = sanitize_actions([[np.nan, np.inf], [-np.inf, 2.0]], 2)
    assert clean.tolist() == [[0.0, 1.0], [-1.0, 1.0]]
    assert counts.tolist() == [2, 2]


@pytest.mark.parametrize("shape", [(2,), (1, 2), (3, 2), (2, 3), (2, 2, 1)])
def test_wrong_action_shape_names_actions(shape: tuple[int, ...]) -> None:
    sim = Simulator(SimSpec(), batch_size=2)
    sim.reset([0, 1], seeds=[0, 1], worlds=[room(30, 30)] * 2)
    with pytest.raises(ValueError, match="actions"):
        sim.step(np.zeros(shape))


@FAST
@given(
    actions=hnp.arrays(
        np.float64,
        (5, 3, 2),
        elements=st.floats(allow_nan=True, allow_infinity=True, width=64),
    )
)
def test_random_actions_never_reach_the_state(actions: NDArray[np.float64]) -> None:
    sim = Simulator(SimSpec(robot=RobotSpec(max_linear=5.0)), batch_size=3)
    sim.reset(range(3), seeds=range(3), worlds=[room(40, 40)] * 3)
    for a in actions:
        bad = sim.step(a)
        expected = ((~np.isfinite(a)) | (np.abs(np.nan_to_num(a)) > 1.0)).sum(axis=1)
        assert bad.tolist() == expected.tolist()
        for arr in (sim.pose, sim.vel, sim.imu, sim.odom, sim.true_vel, sim.true_disp):
            assert np.isfinite(arr).all()
        assert np.all(np.abs(sim.vel[:, 0]) <= 5.0 * 1.2)
        for x, y, _ in sim.pose:
            assert clearance_ok(sim.occupancy[0, :40, :40], x, y, 0.18, CELL)


# ------------------------------------------------------------------------ kinematics
def test_straight_drive_reaches_max_linear_under_accel_limit() -> None:
    spec = EXACT
    dt, vmax, acc = spec.robot.control_dt, spec.robot.max_linear, spec.robot.max_linear_accel
    sim = Simulator(spec, batch_size=1)
    sim.reset([0], seeds=[0], worlds=[room(40, 200)], poses=[(1.0, 1.0, 0.0)])
    v_prev, x_prev = 0.0, 1.0
    for k in range(1, 9):
        sim.step(np.array([[1.0, 0.0]]))
        want = min(k * acc * dt, vmax)
        assert sim.vel[0, 0] == pytest.approx(want, abs=1e-12)
        assert sim.true_vel[0, 0] == pytest.approx(want, abs=1e-12)
        assert sim.pose[0, 0] - x_prev == pytest.approx(want * dt, abs=1e-12)
        assert sim.pose[0, 1] == 1.0 and sim.pose[0, 2] == 0.0
        assert sim.imu[0, 0] == pytest.approx((want - v_prev) / dt, abs=1e-9)  # forward accel
        assert sim.odom[0, 0] == pytest.approx(want * dt, abs=1e-12)
        assert sim.true_disp[0, 0] == pytest.approx(want * dt, abs=1e-12)
        assert not sim.bumper[0]
        v_prev, x_prev = want, sim.pose[0, 0]
    assert sim.vel[0, 0] == pytest.approx(vmax)
    # Half command, reverse: decelerates at the limit to -vmax/2.
    for _ in range(10):
        sim.step(np.array([[-0.5, 0.0]]))
    assert sim.vel[0, 0] == pytest.approx(-0.5 * vmax)


def test_turning_rate_and_accel_limit() -> None:
    spec = EXACT
    dt, wmax, acc = spec.robot.control_dt, spec.robot.max_angular, spec.robot.max_angular_accel
    sim = Simulator(spec, batch_size=1)
    sim.reset([0], seeds=[0], worlds=[room(40, 40)], poses=[(1.0, 1.0, 0.0)])
    yaw = 0.0
    for k in range(1, 12):
        sim.step(np.array([[0.0, 1.0]]))
        w = min(k * acc * dt, wmax)
        yaw = (yaw + w * dt + math.pi) % (2 * math.pi) - math.pi
        assert sim.vel[0, 1] == pytest.approx(w, abs=1e-12)
        assert sim.imu[0, 3] == pytest.approx(w, abs=1e-12)
        assert sim.odom[0, 2] == pytest.approx(w * dt, abs=1e-12)
        assert math.isclose(sim.pose[0, 2], yaw, abs_tol=1e-9)
        assert -math.pi <= sim.pose[0, 2] <= math.pi
    assert sim.pose[0, :2].tolist() == [1.0, 1.0]  # turning in place does not move


def test_yaw_rate_follows_command_with_noise() -> None:
    """Default noise: the gyro reads the commanded yaw rate on average (tile: little slip)."""
    sim = Simulator(SimSpec(), batch_size=3)
    sim.reset(range(3), seeds=range(3), worlds=[room(100, 100)] * 3, poses=[(2.5, 2.5, 0.0)] * 3)
    cmd = np.array([[0.2, 0.5], [0.0, -1.0], [0.3, 0.25]])
    rates = []
    for k in range(60):
        sim.step(cmd)
        if k >= 5:
            rates.append(sim.imu[:, 3].copy())
    mean = np.mean(rates, axis=0)
    want = cmd[:, 1] * sim.spec.robot.max_angular
    assert np.allclose(mean, want, rtol=0.03, atol=0.01)


def test_slip_and_vibration_by_terrain() -> None:
    """Per terrain (tile, carpet, gravel, grass): wheels over-report, gravel shakes most."""
    spec = SimSpec()
    worlds = [room(60, 200, terrain=t) for t in range(4)]
    sim = Simulator(spec, batch_size=4)
    sim.reset(range(4), seeds=range(4), worlds=worlds, poses=[(0.5, 1.5, 0.0)] * 4)
    odo, true, az = [], [], []
    for k in range(80):
        sim.step(np.ones((4, 2)) * [1.0, 0.0])
        assert (sim.terrain_under() == np.arange(4)).all()
        if k >= 5:
            odo.append(sim.odom[:, 0].copy())
            true.append(sim.true_disp[:, 0].copy())
            az.append(sim.imu[:, 2].copy())
    ratio = np.sum(true, axis=0) / np.sum(odo, axis=0)
    t = spec.terrain
    expected = 1 - (np.array(t.slip) + np.array(t.slip_noise) * math.sqrt(2 / math.pi))
    assert np.allclose(ratio, expected, atol=0.03), ratio
    assert ratio[2] < 0.9 and ratio[0] > 0.98
    assert (np.diff(ratio) < 0).all()  # tile > carpet > gravel > grass
    assert not sim.bumper.any()
    std = np.std(az, axis=0)
    assert std[2] > 5 * std[0]  # gravel vibrates far more than tile
    assert std[2] == pytest.approx(t.vibration[2], rel=0.3)


def test_sim_threads_limits_and_restores_numba_threads() -> None:
    import numba

    from robot.sim import sim_threads

    before = numba.get_num_threads()
    with sim_threads(1) as used:
        assert used == 1 and numba.get_num_threads() == 1
    assert numba.get_num_threads() == before
    with sim_threads(10_000) as used:  # capped at numba's pool
        assert used == numba.config.NUMBA_NUM_THREADS == numba.get_num_threads()
    assert numba.get_num_threads() == before
    for bad in (0, -2, 1.5, True, "2"):
        with pytest.raises(ValueError, match="sim_threads"):
            with sim_threads(bad):  # type: ignore[arg-type]
                pass
    assert numba.get_num_threads() == before


@settings(deadline=None)  # the first call compiles
@given(
    key=st.integers(0, 2**64 - 1),
    counter=st.integers(0, 2**40),
    stream=st.integers(0, 7),
    index=st.integers(0, 10**6),
)
def test_hoisted_step_base_draws_the_same_numbers(
    key: int, counter: int, stream: int, index: int
) -> None:
    """Kernels that hoist step_base draw exactly hash_uniform/hash_normal's numbers."""
    from robot.rng import (
        hash_normal,
        hash_uniform,
        normal_at,
        normal_pair_at,
        step_base,
        uniform_at,
    )

    k, c = np.uint64(key), np.uint64(counter)
    base = np.uint64(step_base(k, c))  # numba hands back a Python int
    assert uniform_at(base, stream, index) == hash_uniform(k, c, stream, index)
    assert normal_at(base, stream, index) == hash_normal(k, c, stream, index)
    z0, z1 = normal_pair_at(base, stream, index)
    assert z0 == hash_normal(k, c, stream, index) and np.isfinite(z1)


def test_one_sim_thread_runs_the_serial_sensor_kernels() -> None:
    """Under ``sim_threads(1)`` a batch of 16 takes the serial lidar (no thread-pool
    launch) and senses exactly what the parallel kernel does."""
    import numba

    from robot.sim import Simulator, sim_threads

    sim = Simulator(NOISY, batch_size=16)
    idx = np.arange(16)
    sim.reset(idx, seeds=idx, worlds=[cluttered(30 + k) for k in idx])
    assert sim.parallel
    with sim_threads(1):
        assert not sim._parallel_for(idx)
        serial = sim.lidar().copy()
    if numba.config.NUMBA_NUM_THREADS > 1:
        with sim_threads(2):
            assert sim._parallel_for(idx)
            np.testing.assert_array_equal(sim.lidar(), serial)
