"""Typed, validated specifications of the robot, its sensors and its world.

Every spec is a frozen dataclass. Build one with keyword arguments or with
``SpecClass.from_dict(mapping)``; both validate every field. An unknown key or a
value out of range raises :class:`SpecError`, whose message names the field and
what is allowed. Units: metres, seconds, radians.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, TypeVar, get_type_hints

__all__ = [
    "SpecError",
    "Spec",
    "check_range",
    "check_int",
    "RobotSpec",
    "LidarSpec",
    "CameraSpec",
    "ImuSpec",
    "OdometrySpec",
    "TerrainSpec",
    "WorldSpec",
    "SimSpec",
    "TERRAIN_NAMES",
    "WORLD_KINDS",
    "CAMERA_PROJECTIONS",
]

TERRAIN_NAMES: tuple[str, ...] = ("tile", "carpet", "gravel", "grass")
WORLD_KINDS: tuple[str, ...] = ("rooms", "corridors", "maze", "clutter", "mixed")
#: :attr:`CameraSpec.projection` values.
CAMERA_PROJECTIONS: tuple[str, ...] = ("pinhole", "cylindrical")


class SpecError(ValueError):
    """A spec field is unknown, of the wrong type, or out of its allowed range."""


S = TypeVar("S", bound="Spec")


def check_range(
    path: str,
    value: float,
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> None:
    """Raise :class:`SpecError` naming ``path`` unless ``value`` is finite and in range."""
    try:
        finite = isinstance(value, int | float) and math.isfinite(value)
    except OverflowError:  # an int beyond float range
        finite = False
    if not finite or isinstance(value, bool):
        raise SpecError(f"{path}: expected a finite number in range, got {value!r}")
    bad_lo = lo is not None and (value <= lo if lo_open else value < lo)
    bad_hi = hi is not None and (value >= hi if hi_open else value > hi)
    if bad_lo or bad_hi:
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        lo_s = "-inf" if lo is None else f"{lo:g}"
        hi_s = "inf" if hi is None else f"{hi:g}"
        raise SpecError(f"{path}: {value!r} is out of range; allowed {left}{lo_s}, {hi_s}{right}")


@dataclasses.dataclass(frozen=True)
class Spec:
    """Base class: keyword validation and construction from nested mappings."""

    _section = "spec"

    def __post_init__(self) -> None:
        self.validate(self._section)

    def validate(self, path: str) -> None:  # pragma: no cover - overridden
        """Raise :class:`SpecError` naming ``path.field`` when a field is invalid."""

    @classmethod
    def from_dict(cls: type[S], data: Mapping[str, Any] | None, path: str | None = None) -> S:
        """Build the spec from a mapping; nested specs may be given as mappings too."""
        path = path or cls._section
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise SpecError(f"{path}: expected a mapping, got {type(data).__name__}")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise SpecError(
                f"{path}.{unknown[0]}: unknown key; allowed keys are {', '.join(sorted(fields))}"
            )
        hints = get_type_hints(cls)
        kwargs: dict[str, Any] = {}
        for name, value in data.items():
            hint = hints[name]
            if isinstance(hint, type) and issubclass(hint, Spec):
                if isinstance(value, Mapping):
                    # A partial mapping overrides this field's own default, not hint()'s.
                    default = _field_default(fields[name])
                    if isinstance(default, Spec):
                        value = _merge_into(default.to_dict(), value)
                kwargs[name] = (
                    value if isinstance(value, hint) else hint.from_dict(value, f"{path}.{name}")
                )
            elif getattr(hint, "__origin__", None) is tuple:
                if not isinstance(value, list | tuple):
                    raise SpecError(f"{path}.{name}: expected a list, got {value!r}")
                kwargs[name] = tuple(value)
            else:
                kwargs[name] = value
        try:
            return cls(**kwargs)
        except SpecError as err:
            msg = str(err)
            if msg.startswith(cls._section + ".") and path != cls._section:
                msg = path + msg[len(cls._section) :]
            raise SpecError(msg) from None

    def replace(self: S, **changes: Any) -> S:
        """A copy with ``changes`` applied (and validated)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (JSON/YAML friendly)."""
        return dataclasses.asdict(self)


def _field_default(f: dataclasses.Field[Any]) -> Any:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None if f.default is dataclasses.MISSING else f.default


def _merge_into(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``over`` merged in, recursively for nested mappings."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), dict):
            out[k] = _merge_into(out[k], v)
        else:
            out[k] = v
    return out


def _check_bool(path: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise SpecError(f"{path}: expected true or false, got {value!r}")


def check_int(path: str, value: Any, lo: int, hi: int) -> None:
    """Raise :class:`SpecError` naming ``path`` unless ``value`` is an int in [lo, hi]."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise SpecError(f"{path}: expected an integer in [{lo}, {hi}], got {value!r}")
    check_range(path, value, lo, hi)


@dataclasses.dataclass(frozen=True)
class RobotSpec(Spec):
    """A differential-drive disc robot (TurtleBot class).

    Attributes:
        radius: body radius, m.
        max_linear: speed for a normalised command of 1, m/s.
        max_angular: yaw rate for a normalised command of 1, rad/s.
        max_linear_accel: m/s^2; max_angular_accel: rad/s^2.
        actuator_noise: std of the multiplicative noise on commanded velocities.
        control_dt: control period, s (10 Hz by default).
        max_substep: the longest translation of one collision substep, m. It is
            also capped at half a grid cell so that nothing tunnels.
    """

    _section = "robot"
    radius: float = 0.18
    max_linear: float = 0.5
    max_angular: float = 2.0
    max_linear_accel: float = 2.0
    max_angular_accel: float = 8.0
    actuator_noise: float = 0.02
    control_dt: float = 0.1
    max_substep: float = 0.025

    def validate(self, path: str) -> None:
        check_range(f"{path}.radius", self.radius, 0.02, 1.0)
        check_range(f"{path}.max_linear", self.max_linear, 0.0, 20.0, lo_open=True)
        check_range(f"{path}.max_angular", self.max_angular, 0.0, 20.0, lo_open=True)
        check_range(f"{path}.max_linear_accel", self.max_linear_accel, 0.0, 1000.0, lo_open=True)
        check_range(f"{path}.max_angular_accel", self.max_angular_accel, 0.0, 1000.0, lo_open=True)
        check_range(f"{path}.actuator_noise", self.actuator_noise, 0.0, 1.0)
        check_range(f"{path}.control_dt", self.control_dt, 0.001, 1.0)
        check_range(f"{path}.max_substep", self.max_substep, 0.001, 1.0)


@dataclasses.dataclass(frozen=True)
class LidarSpec(Spec):
    """A planar ray-cast lidar at the robot centre.

    Attributes:
        beams: number of beams, evenly spread over ``fov`` starting at ``-fov/2``
            (for a full circle, beam 0 points backwards and beam ``beams//2`` ahead).
        fov: field of view, rad (2*pi for a full circle).
        max_range: m; a beam with no return (or a dropout) reads ``max_range``.
        noise_std: std of additive Gaussian range noise, m.
        dropout: probability that a beam returns nothing.
    """

    _section = "lidar"
    beams: int = 64
    fov: float = 2 * math.pi
    max_range: float = 6.0
    noise_std: float = 0.01
    dropout: float = 0.0

    def validate(self, path: str) -> None:
        check_int(f"{path}.beams", self.beams, 1, 4096)
        check_range(f"{path}.fov", self.fov, 0.0, 2 * math.pi, lo_open=True)
        check_range(f"{path}.max_range", self.max_range, 0.1, 100.0)
        check_range(f"{path}.noise_std", self.noise_std, 0.0, 1.0)
        check_range(f"{path}.dropout", self.dropout, 0.0, 1.0)


@dataclasses.dataclass(frozen=True)
class CameraSpec(Spec):
    """An egocentric RGB camera rendered by column ray casting.

    Attributes:
        width, height: pixels. fov: horizontal field of view, rad (square pixels); at
            most 3.0 for ``pinhole``, up to 2 pi (all round) for ``cylindrical``.
        projection: ``pinhole`` (a flat image plane: columns are evenly spaced in the
            tangent of their bearing, so a wide view spends few columns on the middle of
            the image and many on its edges) or ``cylindrical`` (columns evenly spaced in
            bearing, ``fov / width`` rad each; each column is a pinhole vertically, and
            depth is the range along the column's ray rather than the forward distance).
        mount_height: camera height above the floor, m.
        max_range: m; beyond it the view fades to the fog colour.
        depth: also produce a depth image, m.
        noise_std: std of additive pixel noise, in 0..255 units.
    """

    _section = "camera"
    width: int = 64
    height: int = 64
    fov: float = math.pi / 2
    mount_height: float = 0.3
    max_range: float = 12.0
    depth: bool = False
    noise_std: float = 0.0
    projection: str = "pinhole"

    def validate(self, path: str) -> None:
        check_int(f"{path}.width", self.width, 8, 1024)
        check_int(f"{path}.height", self.height, 8, 1024)
        if self.projection not in CAMERA_PROJECTIONS:
            raise SpecError(
                f"{path}.projection: {self.projection!r} is not allowed; allowed: "
                f"{', '.join(CAMERA_PROJECTIONS)}"
            )
        widest = 3.0 if self.projection == "pinhole" else 2 * math.pi
        check_range(f"{path}.fov", self.fov, 0.1, widest)
        check_range(f"{path}.mount_height", self.mount_height, 0.01, 2.0)
        check_range(f"{path}.max_range", self.max_range, 0.5, 100.0)
        _check_bool(f"{path}.depth", self.depth)
        check_range(f"{path}.noise_std", self.noise_std, 0.0, 64.0)


@dataclasses.dataclass(frozen=True)
class ImuSpec(Spec):
    """IMU: body-frame acceleration (m/s^2) and yaw rate (rad/s).

    Attributes:
        accel_noise: std of accelerometer noise, m/s^2.
        gyro_noise: std of yaw-rate noise, rad/s.
        vibration_scale: multiplies each terrain's vibration amplitude.
    """

    _section = "imu"
    accel_noise: float = 0.05
    gyro_noise: float = 0.01
    vibration_scale: float = 1.0

    def validate(self, path: str) -> None:
        check_range(f"{path}.accel_noise", self.accel_noise, 0.0, 10.0)
        check_range(f"{path}.gyro_noise", self.gyro_noise, 0.0, 10.0)
        check_range(f"{path}.vibration_scale", self.vibration_scale, 0.0, 10.0)


@dataclasses.dataclass(frozen=True)
class OdometrySpec(Spec):
    """Wheel odometry: displacement measured by the wheels, which slip on terrain.

    Attributes:
        noise: std of the multiplicative encoder noise.
    """

    _section = "odometry"
    noise: float = 0.01

    def validate(self, path: str) -> None:
        check_range(f"{path}.noise", self.noise, 0.0, 1.0)


@dataclasses.dataclass(frozen=True)
class TerrainSpec(Spec):
    """Per-terrain physics, in the order of :data:`TERRAIN_NAMES` (tile, carpet, gravel, grass).

    Attributes:
        slip: mean fraction of wheel motion lost to slip, each in [0, 0.9].
        slip_noise: std of the per-step slip fraction, each in [0, 0.5].
        vibration: std of vertical IMU vibration, m/s^2, each in [0, 20].
    """

    _section = "terrain"
    slip: tuple[float, ...] = (0.0, 0.05, 0.15, 0.25)
    slip_noise: tuple[float, ...] = (0.005, 0.02, 0.05, 0.08)
    vibration: tuple[float, ...] = (0.05, 0.2, 1.5, 0.8)

    def validate(self, path: str) -> None:
        n = len(TERRAIN_NAMES)
        for name, hi in (("slip", 0.9), ("slip_noise", 0.5), ("vibration", 20.0)):
            values = getattr(self, name)
            if not isinstance(values, tuple) or len(values) != n:
                raise SpecError(
                    f"{path}.{name}: expected {n} numbers ({', '.join(TERRAIN_NAMES)}), "
                    f"got {values!r}"
                )
            for t, v in zip(TERRAIN_NAMES, values, strict=True):
                check_range(f"{path}.{name}[{t}]", v, 0.0, hi)


@dataclasses.dataclass(frozen=True)
class WorldSpec(Spec):
    """Procedural world generation.

    Attributes:
        kind: one of rooms, corridors, maze, clutter, mixed (a random pick per world).
        min_size, max_size: side length range of the square-ish world, m (6 to 20).
        cell_size: occupancy grid resolution, m.
        wall_height: m (camera rendering).
        clutter: density of boxes and pillars, 0 (none) to 1 (dense).
        n_targets: coloured target objects placed in the world.
        terrain_patches: mean number of non-tile floor patches.
        door_width: doorway width, m.
    """

    _section = "world"
    kind: str = "rooms"
    min_size: float = 6.0
    max_size: float = 10.0
    cell_size: float = 0.05
    wall_height: float = 1.0
    clutter: float = 0.3
    n_targets: int = 3
    terrain_patches: float = 4.0
    door_width: float = 0.9

    def validate(self, path: str) -> None:
        if self.kind not in WORLD_KINDS:
            raise SpecError(
                f"{path}.kind: {self.kind!r} is not allowed; allowed: {', '.join(WORLD_KINDS)}"
            )
        check_range(f"{path}.min_size", self.min_size, 4.0, 40.0)
        check_range(f"{path}.max_size", self.max_size, 4.0, 40.0)
        if self.max_size < self.min_size:
            raise SpecError(
                f"{path}.max_size: {self.max_size!r} is below min_size {self.min_size!r}; "
                "allowed [min_size, 40]"
            )
        check_range(f"{path}.cell_size", self.cell_size, 0.01, 0.5)
        check_range(f"{path}.wall_height", self.wall_height, 0.1, 5.0)
        check_range(f"{path}.clutter", self.clutter, 0.0, 1.0)
        check_int(f"{path}.n_targets", self.n_targets, 0, 6)
        check_range(f"{path}.terrain_patches", self.terrain_patches, 0.0, 50.0)
        check_range(f"{path}.door_width", self.door_width, 0.5, 3.0)


@dataclasses.dataclass(frozen=True)
class SimSpec(Spec):
    """Everything the batched simulator needs: robot, sensors, terrain physics, worlds."""

    _section = "sim"
    robot: RobotSpec = dataclasses.field(default_factory=RobotSpec)
    lidar: LidarSpec = dataclasses.field(default_factory=LidarSpec)
    camera: CameraSpec = dataclasses.field(default_factory=CameraSpec)
    imu: ImuSpec = dataclasses.field(default_factory=ImuSpec)
    odometry: OdometrySpec = dataclasses.field(default_factory=OdometrySpec)
    terrain: TerrainSpec = dataclasses.field(default_factory=TerrainSpec)
    world: WorldSpec = dataclasses.field(default_factory=WorldSpec)

    def validate(self, path: str) -> None:
        for name, cls in (
            ("robot", RobotSpec),
            ("lidar", LidarSpec),
            ("camera", CameraSpec),
            ("imu", ImuSpec),
            ("odometry", OdometrySpec),
            ("terrain", TerrainSpec),
            ("world", WorldSpec),
        ):
            if not isinstance(getattr(self, name), cls):
                raise SpecError(f"{path}.{name}: expected a {cls.__name__} or a mapping")
