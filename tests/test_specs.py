"""Tests for robot.specs: validation messages name the field and what is allowed."""

from __future__ import annotations

import dataclasses
import json
import math
import typing
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from robot.specs import (
    TERRAIN_NAMES,
    WORLD_KINDS,
    CameraSpec,
    ImuSpec,
    LidarSpec,
    OdometrySpec,
    RobotSpec,
    SimSpec,
    SpecError,
    TerrainSpec,
    WorldSpec,
)

LEAF_SPECS: tuple[type[Any], ...] = (
    RobotSpec,
    LidarSpec,
    CameraSpec,
    ImuSpec,
    OdometrySpec,
    TerrainSpec,
    WorldSpec,
)
#: (spec class, field name, type hint) for every leaf field.
FIELDS = [
    (cls, f.name, typing.get_type_hints(cls)[f.name])
    for cls in LEAF_SPECS
    for f in dataclasses.fields(cls)
]
ALL_SPECS: tuple[type[Any], ...] = (*LEAF_SPECS, SimSpec)
SECTION: dict[type[Any], str] = {cls: cls._section for cls in ALL_SPECS}
NESTED = {f.name: typing.get_type_hints(SimSpec)[f.name] for f in dataclasses.fields(SimSpec)}

ANY_VALUE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-5.0, 5.0),
    st.integers(-(10**6), 10**6),
    st.integers(-3, 100),
    st.booleans(),
    st.none(),
    st.text(max_size=4),
    st.lists(st.floats(-1.0, 1.0), max_size=5),
    st.sampled_from(WORLD_KINDS),
)


def test_defaults_are_valid_and_documented_values() -> None:
    spec = SimSpec()
    assert spec.robot.radius == 0.18 and spec.robot.max_linear == 0.5
    assert spec.robot.max_angular == 2.0 and spec.robot.control_dt == 0.1
    assert spec.lidar.beams == 64 and spec.lidar.max_range == 6.0
    assert spec.lidar.fov == pytest.approx(2 * math.pi)
    assert (spec.camera.width, spec.camera.height) == (64, 64)
    assert spec.camera.fov == pytest.approx(math.pi / 2)
    assert len(spec.terrain.slip) == len(TERRAIN_NAMES)


def test_unknown_key_names_the_field_and_lists_allowed_keys() -> None:
    with pytest.raises(SpecError) as err:
        SimSpec.from_dict({"lidar": {"beems": 3}})
    msg = str(err.value)
    assert "lidar.beems" in msg
    for name in ("beams", "fov", "max_range", "noise_std", "dropout"):
        assert name in msg
    with pytest.raises(SpecError, match=r"sim\.lidr.*camera.*lidar.*robot"):
        SimSpec.from_dict({"lidr": {}})
    with pytest.raises(SpecError, match=r"robot\.speed"):
        RobotSpec.from_dict({"speed": 1.0})


@pytest.mark.parametrize(
    ("data", "field", "allowed"),
    [
        ({"lidar": {"beams": 0}}, "sim.lidar.beams", "[1, 4096]"),
        ({"robot": {"radius": 5.0}}, "sim.robot.radius", "[0.02, 1]"),
        ({"robot": {"max_linear": 0.0}}, "sim.robot.max_linear", "(0, 20]"),
        ({"camera": {"fov": 3.5}}, "sim.camera.fov", "[0.1, 3]"),
        ({"camera": {"projection": "cylindrical", "fov": 7.0}}, "sim.camera.fov", "[0.1, 6.28319]"),
        ({"lidar": {"dropout": -0.1}}, "sim.lidar.dropout", "[0, 1]"),
        ({"world": {"n_targets": 9}}, "sim.world.n_targets", "[0, 6]"),
        ({"terrain": {"slip": [0, 0, 2.0, 0]}}, "sim.terrain.slip[gravel]", "[0, 0.9]"),
    ],
)
def test_out_of_range_names_field_and_range(data: dict[str, Any], field: str, allowed: str) -> None:
    with pytest.raises(SpecError) as err:
        SimSpec.from_dict(data)
    msg = str(err.value)
    assert msg.startswith(field + ":"), msg
    assert allowed in msg and "allowed" in msg


def test_wrong_types_name_the_field() -> None:
    cases: list[tuple[Any, str]] = [
        ({"lidar": 3}, "sim.lidar"),
        ({"lidar": {"beams": 2.5}}, "sim.lidar.beams"),
        ({"lidar": {"beams": True}}, "sim.lidar.beams"),
        ({"robot": {"radius": "big"}}, "sim.robot.radius"),
        ({"robot": {"radius": float("nan")}}, "sim.robot.radius"),
        ({"camera": {"depth": 1}}, "sim.camera.depth"),
        ({"world": {"kind": "caves"}}, "sim.world.kind"),
        ({"camera": {"projection": "fisheye"}}, "sim.camera.projection"),
        ({"terrain": {"slip": 0.1}}, "sim.terrain.slip"),
        ({"terrain": {"vibration": [1, 2, 3]}}, "sim.terrain.vibration"),
    ]
    for data, field in cases:
        with pytest.raises(SpecError) as err:
            SimSpec.from_dict(data)
        assert str(err.value).startswith(field), (data, str(err.value))
    with pytest.raises(SpecError, match=r"world\.kind.*rooms.*maze"):
        WorldSpec(kind="caves")
    with pytest.raises(SpecError, match=r"camera\.projection.*pinhole, cylindrical"):
        CameraSpec(projection="fisheye")
    with pytest.raises(SpecError, match=r"world\.max_size.*min_size"):
        WorldSpec(min_size=12.0, max_size=8.0)
    with pytest.raises(SpecError, match=r"sim: expected a mapping"):
        SimSpec.from_dict([1, 2])  # type: ignore[arg-type]
    with pytest.raises(SpecError, match=r"sim\.robot: expected a RobotSpec"):
        SimSpec(robot={"radius": 0.2})  # type: ignore[arg-type]


def test_spec_error_is_a_value_error() -> None:
    assert issubclass(SpecError, ValueError)


def test_nested_from_dict_and_round_trip() -> None:
    data = {
        "robot": {"radius": 0.2, "max_linear": 1.5},
        "lidar": {"beams": 128, "noise_std": 0.0},
        "camera": {"width": 96, "height": 72, "depth": True},
        "terrain": {"slip": [0.0, 0.1, 0.2, 0.3]},
        "world": {"kind": "maze", "max_size": 14},
    }
    spec = SimSpec.from_dict(data)
    assert spec.robot == RobotSpec(radius=0.2, max_linear=1.5)
    assert spec.lidar.beams == 128 and spec.lidar.noise_std == 0.0
    assert spec.camera.depth is True and spec.camera.width == 96
    assert spec.terrain.slip == (0.0, 0.1, 0.2, 0.3)
    assert spec.world.kind == "maze" and spec.imu == ImuSpec()
    # A spec instance may stand in for a mapping.
    assert SimSpec.from_dict({"robot": RobotSpec(radius=0.2)}).robot.radius == 0.2
    # to_dict -> JSON -> from_dict gives the same spec.
    assert SimSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    assert SimSpec.from_dict(None) == SimSpec() == SimSpec.from_dict({})
    # replace validates too.
    with pytest.raises(SpecError, match=r"lidar\.beams"):
        spec.lidar.replace(beams=-1)
    # Frozen.
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.robot.radius = 1.0  # type: ignore[misc]


def _check_outcome(cls: type[Any], name: str, value: Any, build: Any, prefix: str) -> None:
    """Either the value is accepted (and stored as given), or SpecError names the field."""
    try:
        spec = build()
    except SpecError as err:
        msg = str(err)
        assert msg.startswith(prefix + "."), msg
        assert name in msg, msg  # the field itself, or a cross-field check that names it
        return
    stored = getattr(spec, name) if cls is not SimSpec else None
    if stored is None:
        return
    hint = typing.get_type_hints(cls)[name]
    if hint is float:
        assert isinstance(stored, int | float) and not isinstance(stored, bool)
        assert math.isfinite(stored)
    elif hint is int:
        assert isinstance(stored, int) and not isinstance(stored, bool)
    elif hint is bool:
        assert isinstance(stored, bool)
    elif hint is str:
        assert stored in WORLD_KINDS
    else:  # per-terrain tuples
        assert len(stored) == len(TERRAIN_NAMES)
        assert all(math.isfinite(v) and v >= 0 for v in stored)


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(FIELDS), value=ANY_VALUE)
def test_random_values_are_valid_or_name_the_field(
    field: tuple[type[Any], str, Any], value: Any
) -> None:
    cls, name, hint = field
    if hint == tuple[float, ...] and isinstance(value, list):
        value = tuple(value)
    section = SECTION[cls]
    _check_outcome(cls, name, value, lambda: cls(**{name: value}), section)
    # The same value through a nested mapping is reported under "sim.<section>.<field>".
    raw = list(value) if isinstance(value, tuple) else value
    _check_outcome(
        SimSpec, name, raw, lambda: SimSpec.from_dict({section: {name: raw}}), f"sim.{section}"
    )


@settings(max_examples=100, deadline=None)
@given(
    lo=st.floats(-1e3, 1e3, allow_nan=False),
    hi=st.floats(-1e3, 1e3, allow_nan=False),
)
def test_world_size_range_is_consistent(lo: float, hi: float) -> None:
    try:
        spec = WorldSpec(min_size=lo, max_size=hi)
    except SpecError as err:
        assert str(err).startswith(("world.min_size", "world.max_size"))
        assert not (4.0 <= lo <= hi <= 40.0)
    else:
        assert 4.0 <= spec.min_size <= spec.max_size <= 40.0


def test_every_spec_class_validates_on_construction() -> None:
    """Each class rejects a bad value of each of its numeric fields with its own name."""
    for cls, name, hint in FIELDS:
        if hint in (float, int):
            bad: Any = -1e9
        elif hint is bool:
            bad = "yes"
        elif hint is str:
            bad = "nowhere"
        else:
            bad = (1.0,)
        with pytest.raises(SpecError) as err:
            cls(**{name: bad})
        assert str(err.value).startswith(f"{SECTION[cls]}.{name}"), str(err.value)
    for name, cls in NESTED.items():
        assert SECTION[cls] == name  # the section name is the key in SimSpec


def test_huge_integer_names_the_field() -> None:
    with pytest.raises(SpecError, match=r"robot\.radius"):
        RobotSpec(radius=10**400)
