"""Write frames to an animated GIF or an MP4 (H.264) file.

Example::

    with VideoWriter("runs/demo/demo.mp4", fps=10) as video:
        for frame in frames:          # (H, W, 3) uint8, all the same size
            video.append(frame)
    print(video.frames)

* ``.mp4``: streamed to ffmpeg (the binary shipped with imageio-ffmpeg), libx264, yuv420p;
  odd frame sizes are padded by one row/column (edge colour) because yuv420p needs even sizes.
* ``.gif``: frames are spooled to a temporary raw file next to the output (so memory does not
  grow with the video) and encoded with Pillow on :meth:`VideoWriter.close`: an adaptive
  palette per frame, ``1/fps`` s per frame, looping forever. GIF stores durations in
  centiseconds, so fps above 50 are not honoured by most viewers.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["VideoWriter", "SUPPORTED_EXTENSIONS"]

SUPPORTED_EXTENSIONS = (".gif", ".mp4")


class VideoWriter:
    """A context manager that appends (H, W, 3) uint8 frames to a .gif or .mp4 file.

    Args:
        path: output file; its parent folder is created. The extension picks the format.
        fps: frames per second, > 0.
        quality: MP4 only, x264 constant rate factor (0 best .. 51 worst; 20 is visually
            lossless for these synthetic frames).

    Attributes:
        path: the output path. fps: frames per second. frames: frames appended so far.
        size: (height, width) of the frames, fixed by the first one (None before it).

    Raises:
        ValueError: for an unsupported extension (naming ``path``), a bad fps, or a frame of
            the wrong shape, dtype or size.
    """

    def __init__(self, path: str | os.PathLike[str], fps: float = 10.0, quality: int = 20) -> None:
        self.path = Path(path)
        ext = self.path.suffix.lower()
        if ext not in SUPPORTED_EXTENSIONS:
            raise ValueError(
                f"path: {str(path)!r} has an unsupported extension {ext or '(none)'!r}; "
                f"allowed: {', '.join(SUPPORTED_EXTENSIONS)}"
            )
        if not (isinstance(fps, int | float) and np.isfinite(fps) and 0 < fps <= 1000):
            raise ValueError(f"fps: {fps!r} is out of range; allowed (0, 1000]")
        if not (0 <= quality <= 51):
            raise ValueError(f"quality: {quality!r} is out of range; allowed [0, 51]")
        self.kind = ext[1:]
        self.fps = float(fps)
        self.quality = int(quality)
        self.frames = 0
        self.size: tuple[int, int] | None = None
        self._closed = False
        self._writer: Generator[None, Any, None] | None = None
        self._spool: Any = None
        self._padded: NDArray[np.uint8] | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------ context manager
    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:  # do not hide the error with one about an unfinished file
            self.abort()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True) and getattr(self, "_spool", None) is not None:
            try:
                self._spool.close()
                os.unlink(self._spool.name)
            except OSError:
                pass

    # ------------------------------------------------------------------ writing
    def _check(self, frame: Any) -> NDArray[np.uint8]:
        if self._closed:
            raise ValueError(f"path: {str(self.path)!r} is already closed")
        f = np.asarray(frame)
        if f.ndim != 3 or f.shape[2] != 3 or f.dtype != np.uint8:
            raise ValueError(f"frame: expected (H, W, 3) uint8, got {f.dtype} {f.shape}")
        if self.size is None:
            if f.shape[0] < 2 or f.shape[1] < 2:
                raise ValueError(f"frame: expected at least 2x2 pixels, got {f.shape}")
            self.size = (int(f.shape[0]), int(f.shape[1]))
        elif f.shape[:2] != self.size:
            raise ValueError(
                f"frame: every frame must be {self.size[0]}x{self.size[1]}, "
                f"got {f.shape[0]}x{f.shape[1]} at frame {self.frames}"
            )
        return np.ascontiguousarray(f)

    def append(self, frame: NDArray[np.uint8]) -> None:
        """Append one (H, W, 3) uint8 frame (every frame the size of the first)."""
        f = self._check(frame)
        if self.kind == "mp4":
            self._append_mp4(f)
        else:
            if self._spool is None:
                self._spool = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in close()
                    prefix=".frames-", suffix=".raw", dir=self.path.parent, delete=False
                )
            self._spool.write(f.tobytes())
        self.frames += 1

    def _append_mp4(self, f: NDArray[np.uint8]) -> None:
        h, w = f.shape[:2]
        eh, ew = h + (h & 1), w + (w & 1)
        if self._writer is None:
            import imageio_ffmpeg

            self._writer = imageio_ffmpeg.write_frames(
                str(self.path),
                (ew, eh),
                fps=self.fps,
                codec="libx264",
                pix_fmt_in="rgb24",
                pix_fmt_out="yuv420p",
                quality=None,
                macro_block_size=1,
                output_params=[
                    "-crf",
                    str(self.quality),
                    "-preset",
                    "veryfast",
                    "-movflags",
                    "+faststart",
                ],
            )
            self._writer.send(None)
            if (eh, ew) != (h, w):
                self._padded = np.empty((eh, ew, 3), dtype=np.uint8)
        if self._padded is not None:
            p = self._padded
            p[:h, :w] = f
            p[h:, :w] = f[h - 1 :]
            p[:, w:] = p[:, w - 1 : w]
            f = p
        self._writer.send(f)

    def _read_spool(self, fh: Any, index: int | None = None) -> NDArray[np.uint8] | None:
        assert self.size is not None
        h, w = self.size
        n = h * w * 3
        if index is not None:
            fh.seek(index * n)
        buf = fh.read(n)
        if len(buf) < n:
            return None
        return np.frombuffer(buf, dtype=np.uint8).reshape(h, w, 3)

    def _gif_palette(self, fh: Any) -> Any:
        """One palette of 255 colours for the whole video (leaving an index free for
        Pillow's 'unchanged pixel' transparency), from up to 8 frames spread over it."""
        from PIL import Image

        picks = np.unique(np.linspace(0, self.frames - 1, min(8, self.frames)).astype(int))
        # every other pixel of each pick keeps the median cut fast (~0.25 s) and its colours
        parts = [self._read_spool(fh, int(i)) for i in picks]
        sample = np.concatenate([p[::2, ::2] for p in parts if p is not None], axis=0)
        return Image.fromarray(sample).quantize(
            colors=255, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )

    def _gif_frames(self, fh: Any, palette: Any) -> Iterator[Any]:
        from PIL import Image

        fh.seek(0)
        while (arr := self._read_spool(fh)) is not None:
            yield Image.fromarray(arr).quantize(palette=palette, dither=Image.Dither.NONE)

    def _finish_gif(self) -> None:
        if self._spool is None:
            raise ValueError(f"path: {str(self.path)!r} got no frames; a GIF needs at least one")
        spool_path = self._spool.name
        self._spool.close()
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        try:
            with open(spool_path, "rb") as fh:
                frames = self._gif_frames(fh, self._gif_palette(fh))
                first = next(frames)
                # one shared palette: Pillow stores each frame as the changed rectangle, with
                # unchanged pixels transparent (optimize=True), which compresses well
                first.save(
                    tmp,
                    format="GIF",
                    save_all=True,
                    append_images=frames,
                    duration=1000.0 / self.fps,
                    loop=0,
                    optimize=True,
                    disposal=1,
                )
            os.replace(tmp, self.path)
        finally:
            os.unlink(spool_path)
            if tmp.exists():
                tmp.unlink()

    def abort(self) -> None:
        """Stop without finishing the file (a GIF is not written; an MP4 is cut short)."""
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:
            self._writer.close()
        if self._spool is not None:
            self._spool.close()
            os.unlink(self._spool.name)

    def close(self) -> None:
        """Finish the file (idempotent). A GIF is encoded here."""
        if self._closed:
            return
        self._closed = True
        if self.kind == "mp4":
            if self._writer is None:
                raise ValueError(
                    f"path: {str(self.path)!r} got no frames; an MP4 needs at least one"
                )
            self._writer.close()
        else:
            self._finish_gif()
