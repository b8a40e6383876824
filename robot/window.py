"""A minimal pygame window that shows RGB frames (``render_mode="human"``)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["FrameWindow"]


class FrameWindow:
    """Shows (H, W, 3) uint8 frames in a pygame window at ``fps`` frames per second."""

    def __init__(self, fps: float, title: str = "smartbot") -> None:
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        import pygame

        self._pg = pygame
        pygame.display.init()
        self.fps = fps
        self.title = title
        self._screen: Any = None
        self._clock = pygame.time.Clock()

    def show(self, frame: NDArray[np.uint8]) -> None:
        """Display one frame and keep the window responsive."""
        pg = self._pg
        h, w = frame.shape[:2]
        if self._screen is None or self._screen.get_size() != (w, h):
            self._screen = pg.display.set_mode((w, h))
            pg.display.set_caption(self.title)
        surf = pg.surfarray.make_surface(np.ascontiguousarray(frame.transpose(1, 0, 2)))
        self._screen.blit(surf, (0, 0))
        pg.event.pump()
        pg.display.flip()
        self._clock.tick(self.fps)

    def close(self) -> None:
        """Close the window."""
        self._pg.display.quit()
