"""Batched differential-drive dynamics with contact, slip, IMU and odometry (numba).

One call advances every world of the batch by one control period. Translation is
split into substeps no longer than half a grid cell, and each substep is checked
exactly (disc against cell boxes) before it is taken, so nothing tunnels at any
speed. A blocked substep first tries to slide along x or y, then stops.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

from robot.rng import STREAM, hash_normal

__all__ = ["disc_is_free", "step_batch"]

_ACT = STREAM["actuator"]
_SLIP = STREAM["slip"]
_IMU = STREAM["imu"]
_ODO = STREAM["odometry"]


@njit(cache=True, inline="always")
def disc_is_free(
    occ: NDArray[np.uint8], rows: int, cols: int, cell: float, x: float, y: float, r: float
) -> bool:
    """True when a disc of radius ``r`` m at (x, y) m touches no non-free cell and no border."""
    if x - r < 0.0 or y - r < 0.0 or x + r > cols * cell or y + r > rows * cell:
        return False
    c0 = int(np.floor((x - r) / cell))
    c1 = int(np.floor((x + r) / cell))
    r0 = int(np.floor((y - r) / cell))
    r1 = int(np.floor((y + r) / cell))
    c0 = max(c0, 0)
    r0 = max(r0, 0)
    c1 = min(c1, cols - 1)
    r1 = min(r1, rows - 1)
    rr = r * r
    for i in range(r0, r1 + 1):
        cy0 = i * cell
        ny = min(max(y, cy0), cy0 + cell) - y
        ny2 = ny * ny
        if ny2 >= rr:
            continue
        for j in range(c0, c1 + 1):
            if occ[i, j] != 0:
                cx0 = j * cell
                nx = min(max(x, cx0), cx0 + cell) - x
                if nx * nx + ny2 < rr:
                    return False
    return True


@njit(cache=True)
def _step_batch_one(
    b: int,
    occ: NDArray[np.uint8],
    terrain: NDArray[np.uint8],
    dims: NDArray[np.int64],
    cell: float,
    actions: NDArray[np.float64],
    pose: NDArray[np.float64],
    vel: NDArray[np.float64],
    true_vel: NDArray[np.float64],
    bumper: NDArray[np.bool_],
    contacts: NDArray[np.int64],
    imu: NDArray[np.float64],
    odom: NDArray[np.float64],
    true_disp: NDArray[np.float64],
    keys: NDArray[np.uint64],
    counters: NDArray[np.uint64],
    params: NDArray[np.float64],
    slip_mean: NDArray[np.float64],
    slip_noise: NDArray[np.float64],
    vibration: NDArray[np.float64],
) -> None:
    """One world (index ``b``) of :func:`step_batch`."""
    radius, vmax, wmax, lin_acc, ang_acc, act_noise, dt, max_sub = params[:8]
    accel_noise, gyro_noise, vib_scale, odo_noise = params[8:12]
    key = keys[b]
    ctr = counters[b]
    rows = dims[b, 0]
    cols = dims[b, 1]
    grid = occ[b]
    x = pose[b, 0]
    y = pose[b, 1]
    yaw = pose[b, 2]
    # Commanded velocities with actuator noise, then acceleration limits.
    v_cmd = actions[b, 0] * vmax * (1.0 + act_noise * hash_normal(key, ctr, _ACT, 0))
    w_cmd = actions[b, 1] * wmax * (1.0 + act_noise * hash_normal(key, ctr, _ACT, 1))
    dv = min(max(v_cmd - vel[b, 0], -lin_acc * dt), lin_acc * dt)
    dw = min(max(w_cmd - vel[b, 1], -ang_acc * dt), ang_acc * dt)
    v = vel[b, 0] + dv
    w = vel[b, 1] + dw
    # Terrain slip under the robot.
    ci = min(max(int(np.floor(y / cell)), 0), rows - 1)
    cj = min(max(int(np.floor(x / cell)), 0), cols - 1)
    t = terrain[b, ci, cj]
    slip = slip_mean[t] + slip_noise[t] * abs(hash_normal(key, ctr, _SLIP, 0))
    slip = min(max(slip, 0.0), 0.95)
    vt = v * (1.0 - slip)
    wt = w * (1.0 - 0.5 * slip)
    # Substepped motion with exact contact checks (slide along x or y when blocked).
    nsub = max(1, int(np.ceil(abs(vt) * dt / max_sub)))
    h = dt / nsub
    x0 = x
    y0 = y
    yaw0 = yaw
    hit = False
    for _ in range(nsub):
        yaw_mid = yaw + 0.5 * wt * h
        yaw += wt * h
        nx = x + vt * h * np.cos(yaw_mid)
        ny = y + vt * h * np.sin(yaw_mid)
        if nx == x and ny == y:
            continue
        if disc_is_free(grid, rows, cols, cell, nx, ny, radius):
            x = nx
            y = ny
        else:
            hit = True
            if disc_is_free(grid, rows, cols, cell, nx, y, radius):
                x = nx
            elif disc_is_free(grid, rows, cols, cell, x, ny, radius):
                y = ny
    yaw = (yaw + np.pi) % (2.0 * np.pi) - np.pi
    if hit:
        v = 0.0  # the motors stall against the obstacle
        contacts[b] += 1
    bumper[b] = hit
    # True displacement in the start-of-step body frame.
    c0 = np.cos(yaw0)
    s0 = np.sin(yaw0)
    ddx = x - x0
    ddy = y - y0
    dyaw = wt * dt
    true_disp[b, 0] = c0 * ddx + s0 * ddy
    true_disp[b, 1] = -s0 * ddx + c0 * ddy
    true_disp[b, 2] = dyaw
    v_true = true_disp[b, 0] / dt
    # IMU: forward acceleration, centripetal acceleration, terrain vibration, yaw rate.
    imu[b, 0] = (v_true - true_vel[b, 0]) / dt + accel_noise * hash_normal(key, ctr, _IMU, 0)
    imu[b, 1] = v_true * wt + accel_noise * hash_normal(key, ctr, _IMU, 1)
    vib = vib_scale * vibration[t] * min(1.0, abs(v_true) / max(vmax, 1e-9) + 0.2)
    imu[b, 2] = vib * hash_normal(key, ctr, _IMU, 2) + accel_noise * hash_normal(key, ctr, _IMU, 3)
    imu[b, 3] = wt + gyro_noise * hash_normal(key, ctr, _IMU, 4)
    # Wheel odometry: what the wheels turned (no slip, no contact), with encoder noise.
    vo = (vel[b, 0] + dv) * (1.0 + odo_noise * hash_normal(key, ctr, _ODO, 0))
    wo = (vel[b, 1] + dw) * (1.0 + odo_noise * hash_normal(key, ctr, _ODO, 1))
    odom[b, 0] = vo * dt * np.cos(0.5 * wo * dt)
    odom[b, 1] = vo * dt * np.sin(0.5 * wo * dt)
    odom[b, 2] = wo * dt
    true_vel[b, 0] = v_true
    true_vel[b, 1] = wt
    vel[b, 0] = v
    vel[b, 1] = w
    pose[b, 0] = x
    pose[b, 1] = y
    pose[b, 2] = yaw
    counters[b] = ctr + np.uint64(1)


@njit(cache=True)
def _step_batch_serial(
    occ: NDArray[np.uint8],
    terrain: NDArray[np.uint8],
    dims: NDArray[np.int64],
    cell: float,
    actions: NDArray[np.float64],
    pose: NDArray[np.float64],
    vel: NDArray[np.float64],
    true_vel: NDArray[np.float64],
    bumper: NDArray[np.bool_],
    contacts: NDArray[np.int64],
    imu: NDArray[np.float64],
    odom: NDArray[np.float64],
    true_disp: NDArray[np.float64],
    keys: NDArray[np.uint64],
    counters: NDArray[np.uint64],
    params: NDArray[np.float64],
    slip_mean: NDArray[np.float64],
    slip_noise: NDArray[np.float64],
    vibration: NDArray[np.float64],
) -> None:
    for b in range(pose.shape[0]):
        _step_batch_one(
            b,
            occ,
            terrain,
            dims,
            cell,
            actions,
            pose,
            vel,
            true_vel,
            bumper,
            contacts,
            imu,
            odom,
            true_disp,
            keys,
            counters,
            params,
            slip_mean,
            slip_noise,
            vibration,
        )


@njit(cache=True, parallel=True)
def _step_batch_parallel(
    occ: NDArray[np.uint8],
    terrain: NDArray[np.uint8],
    dims: NDArray[np.int64],
    cell: float,
    actions: NDArray[np.float64],
    pose: NDArray[np.float64],
    vel: NDArray[np.float64],
    true_vel: NDArray[np.float64],
    bumper: NDArray[np.bool_],
    contacts: NDArray[np.int64],
    imu: NDArray[np.float64],
    odom: NDArray[np.float64],
    true_disp: NDArray[np.float64],
    keys: NDArray[np.uint64],
    counters: NDArray[np.uint64],
    params: NDArray[np.float64],
    slip_mean: NDArray[np.float64],
    slip_noise: NDArray[np.float64],
    vibration: NDArray[np.float64],
) -> None:
    for b in prange(pose.shape[0]):
        _step_batch_one(
            b,
            occ,
            terrain,
            dims,
            cell,
            actions,
            pose,
            vel,
            true_vel,
            bumper,
            contacts,
            imu,
            odom,
            true_disp,
            keys,
            counters,
            params,
            slip_mean,
            slip_noise,
            vibration,
        )


def step_batch(
    occ: NDArray[np.uint8],
    terrain: NDArray[np.uint8],
    dims: NDArray[np.int64],
    cell: float,
    actions: NDArray[np.float64],
    pose: NDArray[np.float64],
    vel: NDArray[np.float64],
    true_vel: NDArray[np.float64],
    bumper: NDArray[np.bool_],
    contacts: NDArray[np.int64],
    imu: NDArray[np.float64],
    odom: NDArray[np.float64],
    true_disp: NDArray[np.float64],
    keys: NDArray[np.uint64],
    counters: NDArray[np.uint64],
    params: NDArray[np.float64],
    slip_mean: NDArray[np.float64],
    slip_noise: NDArray[np.float64],
    vibration: NDArray[np.float64],
    parallel: bool,
) -> None:
    """Advance all B worlds by one control period, in place.

    Args:
        occ, terrain: (B, Hmax, Wmax) uint8 material and terrain grids; dims: (B, 2) rows, cols.
        actions: (B, 2) normalised (linear, angular) commands, already finite and in [-1, 1].
        pose: (B, 3) x m, y m, yaw rad. vel: (B, 2) wheel-level v m/s, w rad/s.
        true_vel: (B, 2) achieved v, w over the step. bumper: (B,) contact this step.
        contacts: (B,) contact-step count. imu: (B, 4) ax, ay, az m/s^2, yaw rate rad/s.
        odom: (B, 3) wheel-odometry dx, dy m, dyaw rad in the start-of-step body frame.
        true_disp: (B, 3) the true displacement in the same frame.
        keys, counters: (B,) uint64 per-world random key and step counter.
        params: radius, max_linear, max_angular, lin_acc, ang_acc, act_noise, dt,
            max_substep, accel_noise, gyro_noise, vibration_scale, odom_noise.
        slip_mean, slip_noise, vibration: (4,) per terrain class.
    """
    kernel = _step_batch_parallel if parallel else _step_batch_serial
    kernel(
        occ,
        terrain,
        dims,
        cell,
        actions,
        pose,
        vel,
        true_vel,
        bumper,
        contacts,
        imu,
        odom,
        true_disp,
        keys,
        counters,
        params,
        slip_mean,
        slip_noise,
        vibration,
    )
