"""Tests for robot.video.VideoWriter: GIF and MP4, frame count and fps read back."""

from __future__ import annotations

from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image

from robot.video import VideoWriter


def frames(n: int, h: int = 37, w: int = 51) -> list[np.ndarray]:
    """n distinct frames: a white square moving over a gradient (odd sizes on purpose)."""
    out = []
    base = np.zeros((h, w, 3), np.uint8)
    base[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
    base[..., 2] = 80
    for i in range(n):
        f = base.copy()
        f[5:15, 2 + 3 * i : 12 + 3 * i] = 255
        out.append(f)
    return out


def test_gif_frames_and_fps(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "a.gif"
    with VideoWriter(path, fps=5) as video:
        for f in frames(7):
            video.append(f)
    assert video.frames == 7 and path.exists()
    assert not list(path.parent.glob(".*"))  # no spool or temporary file left
    with Image.open(path) as im:
        assert getattr(im, "n_frames", 1) == 7
        assert im.info["duration"] == pytest.approx(200, abs=10)  # ms per frame = 1/fps
        assert im.info.get("loop") == 0
    back = iio.imread(path, index=3)[..., :3].astype(int)
    assert back.shape == (37, 51, 3)
    assert np.abs(back - frames(7)[3]).mean() < 6  # one palette for the video: close colours


def test_mp4_frames_fps_and_even_padding(tmp_path: Path) -> None:
    path = tmp_path / "a.mp4"
    with VideoWriter(path, fps=12) as video:
        for f in frames(9):
            video.append(f)
    assert video.frames == 9
    meta = iio.immeta(path, plugin="FFMPEG")
    assert meta["fps"] == pytest.approx(12)
    assert meta["codec"] == "h264"
    assert tuple(meta["size"]) == (52, 38)  # padded to even for yuv420p
    decoded = list(iio.imiter(path, plugin="FFMPEG"))
    assert len(decoded) == 9
    assert np.abs(decoded[4][:37, :51].astype(int) - frames(9)[4]).mean() < 8


def test_bad_input_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"path: '.*clip\.avi'.*allowed: \.gif, \.mp4"):
        VideoWriter(tmp_path / "clip.avi", fps=10)
    with pytest.raises(ValueError, match="fps"):
        VideoWriter(tmp_path / "a.gif", fps=0)
    video = VideoWriter(tmp_path / "b.gif", fps=10)
    video.append(frames(1)[0])
    with pytest.raises(ValueError, match="frame"):
        video.append(np.zeros((10, 10, 3), np.uint8))  # another size
    with pytest.raises(ValueError, match="frame"):
        video.append(np.zeros((37, 51), np.uint8))
    video.close()
    video.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        video.append(frames(1)[0])


def test_error_inside_the_block_is_not_hidden(tmp_path: Path) -> None:
    path = tmp_path / "c.gif"
    with pytest.raises(RuntimeError, match="boom"), VideoWriter(path, fps=10) as video:
        video.append(frames(1)[0])
        raise RuntimeError("boom")
    assert not path.exists() and not list(tmp_path.glob(".*"))
