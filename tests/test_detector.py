"""The detector task: camera-column ground truth, labels, the network, its loss and files."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.detector import TargetDetector, load_detector, load_detector_trunk, save_detector
from policies.networks import SmallCNN
from robot.camera import CameraModel
from robot.sim import Simulator
from robot.specs import CameraSpec, SimSpec, WorldSpec
from robot.world import WALL, World, target_material
from robot.worldgen import generate_world
from training.detector import (
    N_TARGETS,
    detector_labels,
    detector_loss,
    detector_metrics,
)


def _room(rows: int, cols: int, cell: float = 0.05) -> World:
    occ = np.zeros((rows, cols), dtype=np.uint8)
    occ[0, :] = occ[-1, :] = occ[:, 0] = occ[:, -1] = WALL
    return World(occ, np.zeros_like(occ), cell)


def _sim(spec: SimSpec, world: World, pose: tuple[float, float, float]) -> Simulator:
    sim = Simulator(spec, batch_size=1)
    sim.reset([0], seeds=[0], worlds=[world], poses=[pose])
    return sim


# -------------------------------------------------------------- camera column truth
def test_camera_objects_sees_the_target_block_where_the_camera_draws_it() -> None:
    """A target block 2 m ahead, left of centre: exactly the columns the camera draws it in
    report its material, at the ray length whose forward part is the camera's depth."""
    cell, d = 0.05, 2.0
    w = _room(120, 120)
    r0, c0 = int(round(3.0 / cell)) + 2, int(round(3.0 / cell))
    w.occupancy[r0 : r0 + 6, c0 : c0 + 6] = target_material(4)
    spec = SimSpec(camera=CameraSpec(width=64, height=64))
    sim = _sim(spec, w, (1.0, 3.0, 0.0))
    _, depth = sim.camera_depth()
    material, distance = sim.camera_objects()
    assert material.shape == distance.shape == (1, 64)
    assert material.dtype == np.int16 and distance.dtype == np.float32
    front = np.flatnonzero((np.abs(depth[0, 0] - d) < 1e-3).any(axis=0))  # its front face
    seen = np.flatnonzero(material[0] == target_material(4))
    assert set(front.tolist()) <= set(seen.tolist())
    assert len(seen) <= len(front) + 1  # plus at most one column on its side face
    assert set(material[0].tolist()) == {WALL, target_material(4)}
    cos = CameraModel(spec.camera).cos
    np.testing.assert_allclose(distance[0, front] * cos[front], d, atol=1e-4)
    # Every column: forward distance = the camera's depth in the row through the horizon.
    np.testing.assert_allclose(distance[0] * cos, depth[0, 0, 32], rtol=1e-5)


def test_camera_objects_beyond_range_is_nothing() -> None:
    w = _room(800, 40)  # a 40 m long corridor
    spec = SimSpec(camera=CameraSpec(width=8, height=8, fov=0.1, max_range=5.0))
    material, distance = _sim(spec, w, (1.0, 2.0, math.pi / 2)).camera_objects()
    assert (material == 0).all() and (distance == 5.0).all()


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    fx=st.floats(0.1, 0.9),
    fy=st.floats(0.1, 0.9),
    yaw=st.floats(-math.pi, math.pi),
)
def test_camera_objects_agrees_with_the_camera_depth_at_the_horizon(
    seed: int, fx: float, fy: float, yaw: float
) -> None:
    """In generated ObjectNav rooms: wherever a column hits something, the camera's depth in
    the row through the horizon is that hit's forward distance (objects and walls both
    cover the horizon)."""
    spec = SimSpec(
        world=WorldSpec(kind="rooms", min_size=6.0, max_size=8.0, n_targets=3, clutter=0.2),
        camera=CameraSpec(width=32, height=32),
    )
    world = generate_world(spec.world, seed, robot_radius=spec.robot.radius)
    wx, wy = world.size_m
    sim = _sim(spec, world, (fx * wx, fy * wy, yaw))
    _, depth = sim.camera_depth()
    material, distance = sim.camera_objects()
    hit = material[0] != 0
    cos = CameraModel(spec.camera).cos
    inside = distance[0] * cos > 1e-3  # a camera inside a cell draws at its clamp distance
    sel = hit & inside
    np.testing.assert_allclose(depth[0, 0, 16, sel], distance[0, sel] * cos[sel], rtol=1e-4)


# ------------------------------------------------------------------------- labels
def test_labels_on_hand_built_columns() -> None:
    red, blue = target_material(0), target_material(2)
    material = np.array([[WALL, red, red, 0, blue], [WALL, WALL, WALL, WALL, WALL]])
    distance = np.array([[5.0, 2.0, 1.5, 9.0, 3.0], [4.0] * 5], dtype=np.float32)
    bearing = np.array([0.4, 0.2, 0.0, -0.2, -0.4])
    lab = detector_labels(material, distance, bearing, max_range=9.0)
    assert lab["visible"].shape == (2, N_TARGETS)
    assert lab["visible"][0].tolist() == [True, False, True, False, False, False]
    assert not lab["visible"][1].any()
    assert lab["bearing"][0, 0] == pytest.approx(0.1)  # mean of 0.2 and 0.0
    assert lab["bearing"][0, 2] == pytest.approx(-0.4)
    assert lab["distance"][0, 0] == pytest.approx(1.5)  # the nearest column
    assert lab["distance"][0, 2] == pytest.approx(3.0)
    assert (lab["bearing"][1] == 0).all() and (lab["distance"][1] == 9.0).all()


def test_labels_refuse_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="material, distance"):
        detector_labels(np.zeros((2, 4)), np.zeros((2, 5)), np.zeros(4), 5.0)
    with pytest.raises(ValueError, match="column_bearing"):
        detector_labels(np.zeros((2, 4)), np.zeros((2, 4)), np.zeros(3), 5.0)


# ---------------------------------------------------------------- loss and metrics
def _batch(visible: list[list[bool]], bearing: float, distance: float) -> dict[str, torch.Tensor]:
    v = torch.tensor(visible)
    return {
        "visible": v,
        "bearing": torch.full(v.shape, bearing),
        "distance": torch.full(v.shape, distance),
    }


def test_loss_is_zero_only_on_perfect_regression_and_ignores_hidden_colours() -> None:
    fov, rng = math.pi / 2, 10.0
    batch = _batch([[True] + [False] * 5], bearing=0.3, distance=4.0)
    out = torch.zeros(1, 6, 3)
    out[..., 0] = -50.0
    out[0, 0, 0] = 50.0
    out[0, 0, 1] = 0.3 / (fov / 2)
    out[0, 0, 2] = 0.4
    out[0, 1:, 1:] = 7.0  # hidden colours: their bearing and distance outputs do not count
    assert float(detector_loss(out, batch, fov, rng)) == pytest.approx(0.0, abs=1e-6)
    out[0, 0, 2] = 0.5  # 1 m too far: scaled error 0.1, squared 0.01, one visible pair
    assert float(detector_loss(out, batch, fov, rng)) == pytest.approx(0.01, abs=1e-5)


def test_metrics_count_exactly() -> None:
    fov, rng = math.pi / 2, 10.0
    batch = _batch([[True, True, False, False, False, False]], bearing=0.0, distance=5.0)
    out = torch.zeros(1, 6, 3)
    out[..., 0] = torch.tensor([1.0, -1.0, 1.0, -1.0, -1.0, -1.0])  # TP, FN, FP, TN x3
    out[0, 0, 1], out[0, 1, 1] = 0.1, -0.3  # bearing errors 0.1 and 0.3 of 45 deg
    out[0, 0, 2], out[0, 1, 2] = 0.5, 0.7  # distance errors 0 and 2 m
    m = detector_metrics(out, batch, fov, rng)
    assert m["visible_accuracy"] == pytest.approx(4 / 6)
    assert m["visible_recall"] == pytest.approx(0.5)
    assert m["visible_precision"] == pytest.approx(0.5)
    assert m["bearing_mae_deg"] == pytest.approx(0.2 * 45, rel=1e-5)
    assert m["distance_mae_m"] == pytest.approx(1.0, rel=1e-5)


# ----------------------------------------------------------------- network and files
def test_detector_shapes_and_file_round_trip(tmp_path) -> None:
    torch.manual_seed(0)
    net = TargetDetector((3, 16, 16), (8, 8), 12)
    x = torch.rand(5, 3, 16, 16)
    assert net(x).shape == (5, 6, 3)
    save_detector(net, tmp_path / "det", {"val": {"visible_accuracy": 0.5}})
    meta = json.loads((tmp_path / "det.json").read_text())
    assert meta["arch"] == {
        "in_shape": [3, 16, 16],
        "channels": [8, 8],
        "features": 12,
        "n_targets": 6,
    }
    again, meta2 = load_detector(tmp_path / "det.safetensors")
    assert meta2["val"]["visible_accuracy"] == 0.5
    assert torch.equal(again(x), net.eval()(x))


def test_trunk_copies_into_a_matching_cnn_and_names_a_mismatch(tmp_path) -> None:
    net = TargetDetector((3, 16, 16), (8, 8), 12)
    save_detector(net, tmp_path / "det", {})
    cnn = SmallCNN(3, 16, 16, (8, 8), 12)
    load_detector_trunk(cnn, tmp_path / "det")
    for (k, a), b in zip(cnn.state_dict().items(), net.cnn.state_dict().values(), strict=True):
        assert torch.equal(a, b), k
    with pytest.raises(ValueError, match=r"cnn\.conv\.2\.weight .*cnn_channels"):
        load_detector_trunk(SmallCNN(3, 16, 16, (8, 16), 12), tmp_path / "det")
    with pytest.raises(ValueError, match=r"cnn\.head\.0\.weight"):
        load_detector_trunk(SmallCNN(3, 32, 32, (8, 8), 12), tmp_path / "det")
    head = torch.nn.Linear(12, 18)
    load_detector_trunk(SmallCNN(3, 16, 16, (8, 8), 12), tmp_path / "det", head)
    assert torch.equal(head.weight, net.out.weight) and torch.equal(head.bias, net.out.bias)
    with pytest.raises(ValueError, match="head maps 12 features to 18, the policy's 12 to 15"):
        load_detector_trunk(
            SmallCNN(3, 16, 16, (8, 8), 12), tmp_path / "det", torch.nn.Linear(12, 15)
        )


def test_bad_detector_files_are_refused(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="detector: no such file"):
        load_detector(tmp_path / "nothing")
    net = TargetDetector((3, 16, 16), (8, 8), 12)
    save_detector(net, tmp_path / "det", {})
    side = tmp_path / "det.json"
    meta = json.loads(side.read_text())
    side.write_text(json.dumps({**meta, "format": "other"}))
    with pytest.raises(ValueError, match="format should be smartbot-detector-v1"):
        load_detector(tmp_path / "det")
    side.write_text(json.dumps({**meta, "arch": {**meta["arch"], "features": 13}}))
    with pytest.raises(ValueError, match="does not match its architecture"):
        load_detector(tmp_path / "det")
