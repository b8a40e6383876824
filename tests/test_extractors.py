"""SmartbotExtractor: output sizes, CNN for images, angles as sin/cos, bounds scaled to [-1, 1]."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch
from gymnasium import spaces
from numpy.typing import NDArray
from stable_baselines3.common.policies import MultiInputActorCriticPolicy

from envs.tasks import TASK_IDS, make_task
from policies.builders import build_policy_kwargs
from policies.extractors import SmartbotExtractor, _Scale, is_image_space

POINTNAV, OBJECTNAV, CUEMAZE = TASK_IDS
SMALL_CNN: dict[str, Any] = {"cnn_channels": [4, 4, 4], "cnn_features": 20}
ALL_POINTNAV_SENSORS = ["lidar", "goal", "velocity", "camera", "depth", "imu", "odometry", "bumper"]


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield
    torch.set_num_threads(before)


def obs_space(env_id: str, **kwargs: Any) -> spaces.Dict:
    return make_task(env_id, 1, kwargs).single_observation_space


def batch(space: spaces.Dict, n: int = 3, seed: int = 0) -> dict[str, torch.Tensor]:
    space.seed(seed)
    samples = [space.sample() for _ in range(n)]
    return {k: torch.as_tensor(np.stack([s[k] for s in samples])) for k in space.spaces}


def pointnav_obs(bearing: float, range_m: float = 3.0) -> dict[str, torch.Tensor]:
    sp = obs_space(POINTNAV)
    obs = {k: torch.zeros((1, *(s.shape or ()))) for k, s in sp.spaces.items()}
    obs["lidar"][:] = 2.0
    obs["goal"][0] = torch.tensor([range_m, bearing])
    return obs


# ------------------------------------------------------------------ sizes
@pytest.mark.parametrize(
    "env_id, expected",
    [(POINTNAV, 24), (OBJECTNAV, 20 + 24), (CUEMAZE, 24)],
)
def test_output_size_for_each_task(env_id: str, expected: int) -> None:
    sp = obs_space(env_id)
    ex = SmartbotExtractor(sp, mlp_hidden=[32, 24], **SMALL_CNN)
    assert ex.features_dim == expected
    out = ex(batch(sp))
    assert out.shape == (3, expected) and torch.isfinite(out).all()


def test_output_size_with_every_sensor_and_no_mlp() -> None:
    sp = obs_space(POINTNAV, sensors=ALL_POINTNAV_SENSORS)
    ex = SmartbotExtractor(sp, mlp_hidden=[], **SMALL_CNN)
    # camera + depth through CNNs; vectors: goal 2 (+1: the bearing as sin, cos), lidar 64,
    # velocity 2, imu 4, odometry 3, bumper 1
    n_vec = 2 + 1 + 64 + 2 + 4 + 3 + 1
    assert ex.features_dim == 2 * 20 + n_vec
    assert ex(batch(sp, n=2)).shape == (2, 2 * 20 + n_vec)


# ------------------------------------------------------------------ images
def test_image_keys_go_to_the_cnn_and_vectors_to_the_mlp() -> None:
    sp = obs_space(POINTNAV, sensors=ALL_POINTNAV_SENSORS)
    ex = SmartbotExtractor(sp, mlp_hidden=[16], **SMALL_CNN)
    assert ex.image_keys == ["camera", "depth"] and sorted(ex.cnns) == ["camera", "depth"]
    assert ex.vector_keys == ["bumper", "goal", "imu", "lidar", "odometry", "velocity"]
    assert ex.image_scale["camera"] == pytest.approx(1 / 255)
    depth_space = sp["depth"]
    assert isinstance(depth_space, spaces.Box)
    assert ex.image_scale["depth"] == pytest.approx(1 / float(depth_space.high.max()))
    assert is_image_space(sp["camera"]) and not is_image_space(sp["lidar"])

    obs = batch(sp, n=2)
    base = ex(obs)
    other = dict(obs, camera=255 - obs["camera"])  # only the camera changes
    out = ex(other)
    assert not torch.allclose(out[:, :20], base[:, :20])  # the camera CNN's part
    assert torch.equal(out[:, 20:], base[:, 20:])  # depth CNN and vector MLP untouched
    other = dict(obs, lidar=obs["lidar"] * 0.5)  # only a vector changes
    out = ex(other)
    assert torch.equal(out[:, :40], base[:, :40]) and not torch.allclose(out[:, 40:], base[:, 40:])


def test_camera_is_scaled_once_inside_an_sb3_policy() -> None:
    """uint8 pixels reach the CNN in [0, 1]: SB3 must not divide by 255 a second time."""
    sp = obs_space(OBJECTNAV)
    kwargs = build_policy_kwargs("ppo", {"extractor_kwargs": {**SMALL_CNN, "mlp_hidden": [8]}})
    policy = MultiInputActorCriticPolicy(
        sp, spaces.Box(-1, 1, (2,), np.float32), lambda _: 0.0, **kwargs
    )
    extractor = policy.features_extractor
    assert isinstance(extractor, SmartbotExtractor)
    seen: list[float] = []
    extractor.cnns["camera"].register_forward_pre_hook(
        lambda _m, args: seen.append(float(args[0].max()))
    )
    camera = sp["camera"]
    assert isinstance(camera, spaces.Box)
    obs: dict[str, NDArray[Any]] = {
        "camera": np.full((1, *camera.shape), 255, np.uint8),
        "target": np.zeros((1, 6), np.float32),
    }
    tensor, _ = policy.obs_to_tensor(obs)
    with torch.no_grad():
        policy.extract_features(tensor)
    assert seen == [pytest.approx(1.0)]


# ------------------------------------------------------------------ angles
def test_the_goal_bearing_is_the_only_angle() -> None:
    # goal = (range, bearing), sorted first
    assert SmartbotExtractor(obs_space(POINTNAV)).angle_dims.tolist() == [1]
    assert SmartbotExtractor(obs_space(CUEMAZE)).angle_dims.numel() == 0
    assert SmartbotExtractor(obs_space(OBJECTNAV), **SMALL_CNN).angle_dims.numel() == 0


def test_angles_enter_as_sin_and_cos_only() -> None:
    ex = SmartbotExtractor(obs_space(POINTNAV), mlp_hidden=[])  # features = the MLP's input
    for bearing in (-3.0, -0.5, 0.0, 1.2, np.pi):
        f = ex(pointnav_obs(bearing))[0]
        assert f.shape == (2 + 1 + 64 + 2,)
        assert f[-2].item() == pytest.approx(np.sin(bearing), abs=1e-6)
        assert f[-1].item() == pytest.approx(np.cos(bearing), abs=1e-6)
        assert f[0].item() == pytest.approx(3.0 / 7.5 - 1.0, abs=1e-6)  # the range, scaled
        assert torch.allclose(f[1:65], torch.full((64,), 2.0 / 3.0 - 1.0))  # lidar 2 m of 6


def test_features_are_continuous_across_the_angle_wrap() -> None:
    ex = SmartbotExtractor(obs_space(POINTNAV), mlp_hidden=[64, 32])
    with torch.no_grad():
        left = ex(pointnav_obs(np.pi - 1e-4))
        right = ex(pointnav_obs(-np.pi + 1e-4))
        ahead = ex(pointnav_obs(0.0))
    assert torch.allclose(left, right, atol=1e-3)
    assert (left - ahead).abs().max() > 100 * (left - right).abs().max()  # the bearing matters


# ------------------------------------------------------------------ vector scaling
@pytest.mark.parametrize("env_id", [POINTNAV, CUEMAZE])
def test_vector_bounds_map_to_minus_one_and_one(env_id: str) -> None:
    sp = obs_space(env_id)
    ex = SmartbotExtractor(sp, mlp_hidden=[])
    plain = ex.plain_dims.numel()

    def at(which: str) -> torch.Tensor:
        obs = {
            k: torch.as_tensor(np.asarray(getattr(s, which), np.float32))[None]
            for k, s in sp.spaces.items()
        }
        return ex(obs)[0, :plain]

    assert torch.allclose(at("low"), torch.full((plain,), -1.0), atol=1e-6)
    assert torch.allclose(at("high"), torch.full((plain,), 1.0), atol=1e-6)


def test_scale_of_unbounded_and_flat_dims() -> None:
    scale = _Scale(np.array([-np.inf, 0.0, 2.0]), np.array([np.inf, 4.0, 2.0]))
    out = scale(torch.tensor([[0.5, 0.0, 2.0], [-3.0, 4.0, 2.0]]))
    assert torch.allclose(out, torch.tensor([[0.5, -1.0, 0.0], [-3.0, 1.0, 0.0]]))


def test_non_box_vector_key_is_refused() -> None:
    sp = spaces.Dict({"lidar": spaces.Box(0, 6, (8,), np.float32), "mode": spaces.Discrete(3)})
    with pytest.raises(ValueError, match=r"observation_space\['mode'\]: expected a Box"):
        SmartbotExtractor(sp)


# ------------------------------------------------------------------ the fast path
def reference_vector_features(sp: spaces.Dict, obs: dict[str, torch.Tensor]) -> torch.Tensor:
    """The extractor's vector part (no MLP layers) computed the plain way: vector keys
    sorted, each dim bounded by [-pi, pi] replaced by its sine and cosine (appended after
    the other dims, sines first), every other dim scaled from its bounds to [-1, 1]."""
    plain: list[torch.Tensor] = []
    angles: list[torch.Tensor] = []
    for key in sorted(k for k, s in sp.spaces.items() if not is_image_space(s)):
        box = sp[key]
        assert isinstance(box, spaces.Box)
        x = obs[key].double().flatten(1)
        low, high = (
            np.asarray(box.low, np.float64).ravel(),
            np.asarray(box.high, np.float64).ravel(),
        )
        for d in range(x.shape[1]):
            if np.isclose(low[d], -np.pi) and np.isclose(high[d], np.pi):
                angles.append(x[:, d])
                continue
            lo = low[d] if np.isfinite(low[d]) else -1.0
            hi = high[d] if np.isfinite(high[d]) else 1.0
            half = max(hi - lo, 1e-6) / 2
            plain.append((x[:, d] - (hi + lo) / 2) / half)
    cols = plain + [torch.sin(a) for a in angles] + [torch.cos(a) for a in angles]
    return torch.stack(cols, dim=1).float()


@pytest.mark.parametrize(
    ("env_id", "config"),
    [(POINTNAV, {}), (POINTNAV, {"sensors": ALL_POINTNAV_SENSORS}), (CUEMAZE, {}), (OBJECTNAV, {})],
)
@pytest.mark.parametrize("n", [1, 16, 512])
def test_vector_features_match_the_plain_computation(
    env_id: str, config: dict[str, Any], n: int
) -> None:
    sp = obs_space(env_id, **config)
    ex = SmartbotExtractor(sp, mlp_hidden=[], **SMALL_CNN)
    obs = batch(sp, n=n, seed=n)
    obs = {k: v * 2.5 if v.is_floating_point() else v for k, v in obs.items()}  # out of bounds
    with torch.no_grad():
        got = ex(obs)[:, len(ex.image_keys) * SMALL_CNN["cnn_features"] :]
    want = reference_vector_features(sp, obs)
    assert got.shape == want.shape
    torch.testing.assert_close(got, want, rtol=0.0, atol=1e-6)


@pytest.mark.parametrize("env_id", [POINTNAV, CUEMAZE])
def test_vector_features_are_exact_float32_arithmetic(env_id: str) -> None:
    """Bit for bit what float32 arithmetic gives per dim, (x - centre) / halfspan and
    torch's sin and cos, whatever the batch: saved policies keep their exact actions
    when the layout code changes."""
    sp = obs_space(env_id)
    ex = SmartbotExtractor(sp, mlp_hidden=[])
    for n in (1, 16, 1024):
        obs = {k: v * 3.0 for k, v in batch(sp, n=n, seed=n).items()}
        raw = torch.cat([obs[k].float().flatten(1) for k in ex.vector_keys], dim=1)
        centre, half = ex.scale.centre, ex.scale.halfspan
        plain = [(raw[:, d] - centre[d]) / half[d] for d in ex.plain_dims.tolist()]
        angles = [raw[:, d] for d in ex.angle_dims.tolist()]
        want = torch.stack(plain + [a.sin() for a in angles] + [a.cos() for a in angles], 1)
        with torch.no_grad():
            assert torch.equal(ex(obs), want)


def test_state_dict_layout_and_loading_rebuild_the_fast_path() -> None:
    sp = obs_space(POINTNAV)
    ex = SmartbotExtractor(sp, mlp_hidden=[8])
    # saved models keep loading: the same keys as ever (derived buffers are not saved)
    assert sorted(ex.state_dict()) == [
        "angle_dims",
        "mlp.net.0.bias",
        "mlp.net.0.weight",
        "scale.centre",
        "scale.halfspan",
    ]
    state = ex.state_dict()
    state["scale.centre"] = state["scale.centre"] + 1.0  # e.g. a model saved with other bounds
    other = SmartbotExtractor(sp, mlp_hidden=[8])
    parent = torch.nn.ModuleDict({"features_extractor": other})  # as inside an SB3 policy
    parent.load_state_dict({f"features_extractor.{k}": v for k, v in state.items()})
    assert torch.equal(copy.deepcopy(other)._shift, other._shift)
    obs = batch(sp, n=4)
    with torch.no_grad():
        shifted = {k: v + 1.0 if k != "goal" else v for k, v in obs.items()}
        shifted["goal"] = obs["goal"] + torch.tensor([1.0, 0.0])  # angles are not scaled
        assert torch.allclose(other(shifted), ex(obs), atol=1e-5)
        assert not torch.allclose(other(obs), ex(obs), atol=1e-3)
