"""SB3 callbacks of the trainer: episode log, rich progress, evaluation, checkpoints, and
the torch thread count of each phase."""

from __future__ import annotations

import json
import os
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from stable_baselines3.common.callbacks import BaseCallback

__all__ = [
    "EpisodeLog",
    "RichProgress",
    "PeriodicEval",
    "Checkpointer",
    "PhaseThreads",
    "atomic_save_model",
]


class EpisodeLog(BaseCallback):
    """Records every finished training episode: (step, return, success, length)."""

    def __init__(self, history: list[dict[str, float]] | None = None) -> None:
        super().__init__()
        self.history: list[dict[str, float]] = history if history is not None else []
        self.recent_success: deque[float] = deque(maxlen=100)
        self.recent_return: deque[float] = deque(maxlen=100)

    def _on_step(self) -> bool:
        dones = self.locals.get("dones")
        if dones is None or not np.any(dones):
            return True
        infos = self.locals.get("infos", [])
        for i in np.flatnonzero(dones):
            info = infos[i]
            if "episode_return" not in info:
                continue
            row = {
                "step": float(self.num_timesteps),
                "return": float(info["episode_return"]),
                "success": float(info.get("is_success", False)),
                "length": float(info.get("episode_step", 0)),
            }
            self.history.append(row)
            self.recent_success.append(row["success"])
            self.recent_return.append(row["return"])
        if self.recent_success:
            self.logger.record("rollout/success_rate", float(np.mean(self.recent_success)))
        return True


class RichProgress(BaseCallback):
    """A rich progress bar: steps, steps/s, recent training success and ETA."""

    def __init__(self, total: int, episodes: EpisodeLog, description: str, enabled: bool = True):
        super().__init__()
        self.total = total
        self.episodes = episodes
        self.description = description
        self.enabled = enabled
        self._progress: Progress | None = None
        self._task: Any = None
        self._t0 = 0.0
        self._n0 = 0
        self._last = 0.0

    def _on_training_start(self) -> None:
        self._t0 = time.perf_counter()
        self._n0 = self.num_timesteps
        if not self.enabled:
            return
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,.0f}/{task.total:,.0f} steps"),
            TextColumn("{task.fields[sps]:,.0f} steps/s"),
            TextColumn("success {task.fields[succ]}"),
            TimeRemainingColumn(),
        )
        self._progress.start()
        self._task = self._progress.add_task(
            self.description, total=self.total, completed=self.num_timesteps, sps=0.0, succ="-"
        )

    def _on_step(self) -> bool:
        now = time.perf_counter()
        if self._progress is not None and now - self._last > 0.5:
            self._last = now
            sps = (self.num_timesteps - self._n0) / max(now - self._t0, 1e-9)
            succ = self.episodes.recent_success
            s = f"{100 * np.mean(succ):.0f}%" if succ else "-"
            self._progress.update(self._task, completed=self.num_timesteps, sps=sps, succ=s)
        return True

    def _on_training_end(self) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=self.num_timesteps)
            self._progress.stop()
            self._progress = None

    @property
    def steps_per_second(self) -> float:
        """Average steps/s since training (re)started."""
        return (self.num_timesteps - self._n0) / max(time.perf_counter() - self._t0, 1e-9)


class PeriodicEval(BaseCallback):
    """Every ``every`` steps, evaluate on ``split`` maps and keep the best model.

    Args:
        every: steps between evaluations. evaluate: ``fn(model) -> summary dict`` with
            ``success_rate`` and ``spl`` (and their intervals).
        on_best: called with the model when the val success (then SPL) improves.
        history: list to append {step, success_rate, spl, ...} rows to.
    """

    def __init__(
        self,
        every: int,
        evaluate: Callable[[Any], dict[str, float]],
        on_best: Callable[[Any, dict[str, float]], None],
        history: list[dict[str, float]],
        verbose: bool = True,
    ) -> None:
        super().__init__()
        self.every = every
        self.evaluate_fn = evaluate
        self.on_best = on_best
        self.history = history
        self.verbose_print = verbose
        self._next = 0
        self.best: tuple[float, float] = (-1.0, -1.0)
        for row in history:
            self.best = max(self.best, (row["success_rate"], row["spl"]))

    def _on_training_start(self) -> None:
        self._next = (self.num_timesteps // self.every + 1) * self.every

    def run_now(self) -> dict[str, float]:
        """Evaluate the current model and record it."""
        summary = self.evaluate_fn(self.model)
        row = {"step": float(self.num_timesteps), **summary}
        self.history.append(row)
        for k in ("success_rate", "spl", "collision_rate", "mean_return"):
            if k in summary:
                self.logger.record(f"eval/{k}", summary[k])
        key = (summary["success_rate"], summary["spl"])
        if key > self.best:
            self.best = key
            self.on_best(self.model, summary)
        if self.verbose_print:
            print(
                f"eval @ {self.num_timesteps:,} steps: "
                f"success {100 * summary['success_rate']:.1f}% "
                f"SPL {summary['spl']:.3f}",
                flush=True,
            )
        return summary

    def _on_step(self) -> bool:
        if self.num_timesteps >= self._next:
            self._next += self.every
            self.run_now()
        return True


def atomic_save_model(model: Any, path: Path) -> None:
    """``model.save`` to a temporary file, then rename: never a half-written checkpoint."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.zip")
    model.save(str(tmp))
    os.replace(tmp, path)


class Checkpointer(BaseCallback):
    """Every ``every`` steps, write ``checkpoints/last.zip`` and ``state.json`` atomically.

    Checkpoints are taken between rollouts (after the previous rollout's update), never
    mid-rollout: the partial rollout would be lost on resume and the resumed run would
    reach a different step count than an uninterrupted one.
    """

    def __init__(self, run_dir: Path, every: int, state: Callable[[], dict[str, Any]]) -> None:
        super().__init__()
        self.run_dir = run_dir
        self.every = every
        self.state = state
        self._next = 0

    def _on_training_start(self) -> None:
        self._next = (self.num_timesteps // self.every + 1) * self.every

    def save(self) -> None:
        """Write the checkpoint now."""
        atomic_save_model(self.model, self.run_dir / "checkpoints" / "last.zip")
        data = {"num_timesteps": int(self.num_timesteps), **self.state()}
        tmp = self.run_dir / ".state.json.tmp"
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.run_dir / "state.json")

    def _on_rollout_start(self) -> None:
        self.num_timesteps = int(self.model.num_timesteps)
        if self.num_timesteps >= self._next:
            self._next = (self.num_timesteps // self.every + 1) * self.every
            self.save()

    def _on_step(self) -> bool:
        return True


class PhaseThreads(BaseCallback):
    """Torch on ``collect`` threads while rollouts are collected (and evaluated), on
    ``update`` threads while the networks learn from them; ``collect`` again at the end.

    Collection alternates small network passes (B = n_envs) with simulator steps, one
    thread each; an update is large matrix products (B = batch_size), which a second core
    speeds up. SB3 calls ``on_rollout_end`` just before its update and
    ``on_rollout_start`` after it, for on- and off-policy algorithms alike. Whether the
    thread count changes the arithmetic depends on the network: the shipped PointNav PPO
    network's weights came out byte-identical after 163,840 steps with 1 and 2 update
    threads (and after the full 7M-step run); other networks were not checked.
    """

    def __init__(self, collect: int, update: int) -> None:
        super().__init__()
        if collect < 1 or update < 1:
            raise ValueError(
                f"PhaseThreads: thread counts must be >= 1, got collect={collect}, update={update}"
            )
        self.collect = collect
        self.update = update

    def _set(self, threads: int) -> None:
        import torch

        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)

    def _on_training_start(self) -> None:
        self._set(self.collect)

    def _on_rollout_start(self) -> None:
        self._set(self.collect)

    def _on_rollout_end(self) -> None:
        self._set(self.update)

    def _on_training_end(self) -> None:
        self._set(self.collect)

    def _on_step(self) -> bool:
        return True
