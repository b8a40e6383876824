"""The batched simulator: B independent worlds advanced in lockstep.

State arrays are shaped ``(B, ...)``; one :meth:`Simulator.step` advances every
world by one control period (``spec.robot.control_dt`` s). Each world has its own
seed-derived random key, so a world's trajectory depends only on its seed, its
world and its actions, never on the batch it sits in (see :mod:`robot.rng`).

Example::

    sim = Simulator(SimSpec(), batch_size=4)
    sim.reset([0, 1, 2, 3], seeds=[0, 1, 2, 3], worlds=[w0, w1, w2, w3])
    sim.step(np.zeros((4, 2)))
    ranges = sim.lidar()      # (4, 64) float32, m
    frames = sim.camera()     # (4, 3, 64, 64) uint8
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence

import numba
import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

from robot import camera as _camera
from robot import camera_objects as _camera_objects
from robot import dynamics as _dyn
from robot import lidar as _lidar
from robot.fan import quadrant_clearance
from robot.raycast import chebyshev_clearance
from robot.rng import seed_to_key
from robot.specs import SimSpec
from robot.world import MATERIAL_HEIGHT_FRACTION, MATERIAL_RGB, TERRAIN_RGB, World

__all__ = [
    "Simulator",
    "sanitize_actions",
    "sim_threads",
    "PARALLEL_MIN_BATCH",
    "PARALLEL_MIN_BATCH_DYNAMICS",
]

#: Batches at least this large run the numba sensor kernels (lidar, camera) on all cores by
#: default. Smaller ones run on one thread: waking worker threads costs more than it saves.
PARALLEL_MIN_BATCH = 16
#: The same for the dynamics kernel, whose work per robot (~1 us) is much smaller: under
#: a passive OpenMP wait policy (see robot/__init__.py) waking the sleeping workers costs tens of
#: microseconds a call, which a batch only wins back from a few hundred robots on.
PARALLEL_MIN_BATCH_DYNAMICS = 256


@contextlib.contextmanager
def sim_threads(n: int) -> Iterator[int]:
    """Run the parallel kernels called from this thread on at most ``n`` threads inside
    the block (at most numba's thread count); yields the count in force.

    Training keeps the simulator to one thread by default (``sim_threads: 1`` in its
    config): beside a network that trains in the same process, the parallel lidar made PPO
    on PointNav no faster on 2 cores (16 and 64 robots: 1-7% slower than one thread), and
    one thread leaves the other core to a second run.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"sim_threads: expected an integer >= 1, got {n!r}")
    before = numba.get_num_threads()
    used = min(n, int(numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
    numba.set_num_threads(used)
    try:
        yield used
    finally:
        numba.set_num_threads(before)


@njit(cache=True)
def _in_unit_box(a: NDArray[np.float64]) -> bool:
    """Every entry of the (B, 2) array lies in [-1, 1] (False on NaN and +-inf)."""
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            if not -1.0 <= a[i, j] <= 1.0:
                return False
    return True


def sanitize_actions(
    actions: ArrayLike, batch_size: int
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Clip actions to [-1, 1] and replace NaN by 0.

    Args:
        actions: (B, 2) normalised commands (anything array-like).
    Returns:
        (clean (B, 2) float64, bad (B,) number of entries that were NaN, inf or out of range).
    Raises:
        ValueError: when the shape is not (B, 2).
    """
    try:
        a = np.asarray(actions, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"actions: expected ({batch_size}, 2) numbers, got {actions!r:.60}"
        ) from None
    if a.shape != (batch_size, 2):
        raise ValueError(f"actions: expected shape ({batch_size}, 2), got {a.shape}")
    if _in_unit_box(a):  # the usual case, checked in one pass
        return a, np.zeros(batch_size, dtype=np.int64)
    finite = np.isfinite(a)
    bad = (~finite) | (np.abs(a) > 1.0)
    clean = np.where(finite, np.clip(a, -1.0, 1.0), 0.0)
    # +inf/-inf carry a direction: saturate rather than zero them.
    clean = np.where(np.isposinf(a), 1.0, np.where(np.isneginf(a), -1.0, clean))
    return clean, bad.sum(axis=1).astype(np.int64)


def _derived_grid(
    world: World, name: str, build: Callable[[NDArray[np.uint8]], NDArray[np.uint8]]
) -> NDArray[np.uint8]:
    """``build(world.occupancy)`` (a clearance grid), computed once per occupancy array and
    kept on the world under ``name``."""
    cached = world.__dict__.get(name)
    if cached is not None and cached[0] is world.occupancy:
        return cached[1]  # type: ignore[no-any-return]
    grid = build(world.occupancy)
    world.__dict__[name] = (world.occupancy, grid)
    return grid


class Simulator:
    """B differential-drive robots, each in its own world.

    Attributes (all (B, ...) numpy arrays, updated in place):
        pose: (B, 3) x m, y m, yaw rad in (-pi, pi].
        vel: (B, 2) wheel-level linear m/s and angular rad/s velocity.
        true_vel: (B, 2) achieved velocity over the last step (after slip and contact).
        bumper: (B,) bool, contact during the last step. contacts: (B,) contact steps so far.
        imu: (B, 4) ax, ay, az m/s^2 (body frame, gravity removed), yaw rate rad/s.
        odom: (B, 3) wheel odometry dx m, dy m, dyaw rad over the last step (body frame).
        true_disp: (B, 3) the true displacement over the last step, same frame.
        occupancy, terrain: (B, Hmax, Wmax) uint8 grids; dims: (B, 2) rows, cols of each world.
        clearance: (B, Hmax, Wmax) uint8 Chebyshev clearance (the camera's ray jumps);
        quadrant_clearance: (B, 4, Hmax, Wmax) uint8 (the lidar's, see :mod:`robot.fan`).
        steps: (B,) steps since each world's last reset.
    """

    def __init__(
        self, spec: SimSpec | None = None, batch_size: int = 1, parallel: bool | None = None
    ) -> None:
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size: expected an integer >= 1, got {batch_size!r}")
        self.spec = spec or SimSpec()
        #: Run the kernels on all cores (default: when batch_size >= PARALLEL_MIN_BATCH; the
        #: dynamics from PARALLEL_MIN_BATCH_DYNAMICS). Results are bit-identical either way.
        self.parallel = batch_size >= PARALLEL_MIN_BATCH if parallel is None else bool(parallel)
        self.batch_size = batch_size
        self.cell_size = float(self.spec.world.cell_size)
        b = batch_size
        self.pose = np.zeros((b, 3))
        self.vel = np.zeros((b, 2))
        self.true_vel = np.zeros((b, 2))
        self.bumper = np.zeros(b, dtype=bool)
        self.contacts = np.zeros(b, dtype=np.int64)
        self.imu = np.zeros((b, 4))
        self.odom = np.zeros((b, 3))
        self.true_disp = np.zeros((b, 3))
        self.keys = np.zeros(b, dtype=np.uint64)
        self.counters = np.zeros(b, dtype=np.uint64)
        self.steps = np.zeros(b, dtype=np.int64)
        self.occupancy = np.ones((b, 1, 1), dtype=np.uint8)
        self.terrain = np.zeros((b, 1, 1), dtype=np.uint8)
        self.clearance = np.zeros((b, 1, 1), dtype=np.uint8)
        self.quadrant_clearance = np.zeros((b, 4, 1, 1), dtype=np.uint8)
        self.dims = np.ones((b, 2), dtype=np.int64)
        self.worlds: list[World | None] = [None] * b
        self._all = np.arange(b, dtype=np.int64)
        r = self.spec.robot
        self._params = np.array(
            [
                r.radius,
                r.max_linear,
                r.max_angular,
                r.max_linear_accel,
                r.max_angular_accel,
                r.actuator_noise,
                r.control_dt,
                min(r.max_substep, 0.5 * self.cell_size),
                self.spec.imu.accel_noise,
                self.spec.imu.gyro_noise,
                self.spec.imu.vibration_scale,
                self.spec.odometry.noise,
            ]
        )
        t = self.spec.terrain
        self._slip = np.array(t.slip, dtype=np.float64)
        self._slip_noise = np.array(t.slip_noise, dtype=np.float64)
        self._vibration = np.array(t.vibration, dtype=np.float64)
        angles = _lidar.beam_angles(self.spec.lidar)
        self._beam_cos, self._beam_sin = np.cos(angles), np.sin(angles)
        self._cam = _camera.CameraModel(self.spec.camera)
        self._mat_rgb = MATERIAL_RGB.astype(np.float64)
        self._mat_h = MATERIAL_HEIGHT_FRACTION.copy()
        self._ter_rgb = TERRAIN_RGB.astype(np.float64)
        self._no_depth = np.zeros((1, 1, 1, 1), dtype=np.float32)

    # ----------------------------------------------------------------- worlds
    @staticmethod
    def world_grids(world: World) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
        """The ray casters' grids of ``world``: (H, W) Chebyshev clearance and (4, H, W)
        quadrant clearance, built on first use and kept on the world (building both takes
        ~1 ms for a 200 x 200 grid)."""
        return (
            _derived_grid(world, "_clearance", chebyshev_clearance),
            _derived_grid(world, "_quadrant_clearance", quadrant_clearance),
        )

    def set_world(self, index: int, world: World) -> None:
        """Place ``world`` in slot ``index`` (grids grow to fit the largest world)."""
        if abs(world.cell_size - self.cell_size) > 1e-12:
            raise ValueError(
                f"world.cell_size: {world.cell_size} differs from the simulator's {self.cell_size}"
            )
        h, w = world.shape
        hmax, wmax = self.occupancy.shape[1:]
        if h > hmax or w > wmax:
            nh, nw = max(h, hmax), max(w, wmax)
            occ = np.ones((self.batch_size, nh, nw), dtype=np.uint8)
            ter = np.zeros((self.batch_size, nh, nw), dtype=np.uint8)
            clr = np.zeros((self.batch_size, nh, nw), dtype=np.uint8)
            quad = np.zeros((self.batch_size, 4, nh, nw), dtype=np.uint8)
            occ[:, :hmax, :wmax] = self.occupancy
            clr[:, :hmax, :wmax] = self.clearance
            quad[:, :, :hmax, :wmax] = self.quadrant_clearance
            ter[:, :hmax, :wmax] = self.terrain
            self.occupancy, self.terrain, self.clearance = occ, ter, clr
            self.quadrant_clearance = quad
        clear, quad_clear = self.world_grids(world)
        self.occupancy[index] = 1
        self.occupancy[index, :h, :w] = world.occupancy
        self.clearance[index] = 0
        self.clearance[index, :h, :w] = clear
        self.quadrant_clearance[index] = 0
        self.quadrant_clearance[index, :, :h, :w] = quad_clear
        self.terrain[index] = 0
        self.terrain[index, :h, :w] = world.terrain
        self.dims[index] = (h, w)
        self.worlds[index] = world

    def reset(
        self,
        indices: Sequence[int] | NDArray[np.integer],
        seeds: Sequence[int] | NDArray[np.integer],
        worlds: Sequence[World] | None = None,
        poses: ArrayLike | None = None,
    ) -> None:
        """Reset a subset of worlds.

        Args:
            indices: (K,) slots to reset. seeds: (K,) per-world seeds for all noise.
            worlds: optional (K,) new worlds for those slots.
            poses: optional (K, 3) start poses (x m, y m, yaw rad); default: each world's start.
        """
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        if len(seeds) != len(idx):
            raise ValueError(f"seeds: expected {len(idx)} seeds, got {len(seeds)}")
        if worlds is not None:
            if len(worlds) != len(idx):
                raise ValueError(f"worlds: expected {len(idx)} worlds, got {len(worlds)}")
            for i, w in zip(idx, worlds, strict=True):
                self.set_world(int(i), w)
        for i in idx:
            if self.worlds[int(i)] is None:
                raise ValueError(f"indices: slot {int(i)} has no world; pass worlds=...")
        if poses is None:
            p = np.array([self.worlds[int(i)].start for i in idx], dtype=np.float64)  # type: ignore[union-attr]
        else:
            try:
                p = np.asarray(poses, dtype=np.float64)
            except (TypeError, ValueError):
                raise ValueError("poses: expected numbers (x m, y m, yaw rad)") from None
            if p.shape != (len(idx), 3):
                raise ValueError(f"poses: expected shape ({len(idx)}, 3), got {p.shape}")
            if not np.isfinite(p).all():
                raise ValueError("poses: every x, y and yaw must be finite")
        self.pose[idx] = p
        self.vel[idx] = 0.0
        self.true_vel[idx] = 0.0
        self.bumper[idx] = False
        self.contacts[idx] = 0
        self.imu[idx] = 0.0
        self.odom[idx] = 0.0
        self.true_disp[idx] = 0.0
        self.steps[idx] = 0
        self.keys[idx] = np.array([seed_to_key(int(s)) for s in seeds], dtype=np.uint64)
        self.counters[idx] = 0

    # ------------------------------------------------------------------ step
    def step(self, actions: ArrayLike) -> NDArray[np.int64]:
        """Advance every world by one control period.

        Args:
            actions: (B, 2) normalised (linear, angular) commands in [-1, 1]; NaN becomes 0,
                +-inf and out-of-range values are clipped.
        Returns:
            (B,) number of action entries that had to be clipped or replaced.
        """
        clean, bad = sanitize_actions(actions, self.batch_size)
        _dyn.step_batch(
            self.occupancy,
            self.terrain,
            self.dims,
            self.cell_size,
            clean,
            self.pose,
            self.vel,
            self.true_vel,
            self.bumper,
            self.contacts,
            self.imu,
            self.odom,
            self.true_disp,
            self.keys,
            self.counters,
            self._params,
            self._slip,
            self._slip_noise,
            self._vibration,
            self.parallel and self.batch_size >= PARALLEL_MIN_BATCH_DYNAMICS,
        )
        self.steps += 1
        return bad

    # --------------------------------------------------------------- sensors
    def _parallel_for(self, idx: NDArray[np.int64]) -> bool:
        """Whether the sensor kernels run their parallel variant for these rows: only
        with more than one thread allowed (under ``sim_threads(1)`` the parallel variant
        would still go through numba's thread-pool launch, for nothing)."""
        return self.parallel and len(idx) >= PARALLEL_MIN_BATCH and numba.get_num_threads() > 1

    def _index(self, indices: ArrayLike | None) -> NDArray[np.int64]:
        if indices is None:
            return self._all
        idx = np.ascontiguousarray(indices, dtype=np.int64).reshape(-1)
        if idx.size and (idx.min() < 0 or idx.max() >= self.batch_size):
            raise ValueError(f"indices: expected values in [0, {self.batch_size - 1}]")
        return idx

    def lidar(
        self, out: NDArray[np.float32] | None = None, indices: ArrayLike | None = None
    ) -> NDArray[np.float32]:
        """Lidar ranges, shape (B, beams), metres in [0, max_range].

        With ``indices`` (K,), only those rows of ``out`` are (re)computed.
        """
        spec = self.spec.lidar
        if out is None:
            out = np.empty((self.batch_size, spec.beams), dtype=np.float32)
        idx = self._index(indices)
        _lidar.lidar_batch(
            idx,
            self.quadrant_clearance,
            self.dims,
            self.cell_size,
            self.pose,
            self.keys,
            self.counters,
            self._beam_cos,
            self._beam_sin,
            spec.max_range,
            spec.noise_std,
            spec.dropout,
            out,
            self._parallel_for(idx),
        )
        return out

    def camera(
        self,
        out: NDArray[np.uint8] | None = None,
        depth: NDArray[np.float32] | None = None,
        indices: ArrayLike | None = None,
    ) -> NDArray[np.uint8]:
        """RGB frames, shape (B, 3, H, W) uint8.

        Pass ``depth`` (B, 1, H, W) float32 to fill it too (m). With ``indices`` (K,), only
        those rows are (re)computed.
        """
        spec = self.spec.camera
        if out is None:
            out = np.empty((self.batch_size, 3, spec.height, spec.width), dtype=np.uint8)
        idx = self._index(indices)
        _camera.camera_batch(
            idx,
            self.occupancy,
            self.clearance,
            self.terrain,
            self.dims,
            self.cell_size,
            self.pose,
            self.keys,
            self.counters,
            self._cam.dirs,
            self._cam.cos,
            self._cam.focal,
            spec.mount_height,
            self.spec.world.wall_height,
            spec.max_range,
            spec.noise_std,
            self._mat_rgb,
            self._mat_h,
            self._ter_rgb,
            out,
            self._no_depth if depth is None else depth,
            depth is not None,
            self._parallel_for(idx),
        )
        return out

    def camera_objects(
        self, indices: ArrayLike | None = None
    ) -> tuple[NDArray[np.int16], NDArray[np.float32]]:
        """What each camera column sees first: material ids (B, W) int16 (0 = nothing within
        the camera's range, 1 = wall, see :data:`robot.world.MATERIAL_RGB`) and their ranges
        along the column's ray (B, W) float32, m. With ``indices`` (K,), only those rows are
        filled (the others are 0 and ``max_range``). Ground truth for labelling frames."""
        spec = self.spec.camera
        material = np.zeros((self.batch_size, spec.width), dtype=np.int16)
        distance = np.full((self.batch_size, spec.width), spec.max_range, dtype=np.float32)
        _camera_objects.camera_objects_batch(
            self._index(indices),
            self.occupancy,
            self.clearance,
            self.dims,
            self.cell_size,
            self.pose,
            self._cam.dirs,
            spec.max_range,
            material,
            distance,
        )
        return material, distance

    def camera_depth(self) -> tuple[NDArray[np.uint8], NDArray[np.float32]]:
        """RGB (B, 3, H, W) uint8 and depth (B, 1, H, W) float32 metres."""
        spec = self.spec.camera
        depth = np.empty((self.batch_size, 1, spec.height, spec.width), dtype=np.float32)
        return self.camera(depth=depth), depth

    def terrain_under(self) -> NDArray[np.int64]:
        """Terrain class under each robot, shape (B,)."""
        r = np.clip(
            np.floor(self.pose[:, 1] / self.cell_size).astype(np.int64), 0, self.dims[:, 0] - 1
        )
        c = np.clip(
            np.floor(self.pose[:, 0] / self.cell_size).astype(np.int64), 0, self.dims[:, 1] - 1
        )
        return self.terrain[np.arange(self.batch_size), r, c].astype(np.int64)
