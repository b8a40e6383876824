"""Measure throughput: the simulator and its sensors (later also envs, training, viewer).

Each row is timed for about --seconds after a warm-up (numba compiles then), and the
table shows throughput, microseconds per robot-step and, where a row has one, its target
and whether it was met. --json PATH writes the same numbers as JSON. Numbers depend on
the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import importlib
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BenchConfig",
    "BenchRow",
    "BenchResult",
    "PROVIDER_MODULES",
    "add_arguments",
    "collect_rows",
    "row_provider",
    "run",
    "run_rows",
    "time_loop",
]

#: Modules imported (for their ``@row_provider`` side effects) before rows are collected.
#: Later issues append theirs here, e.g. "training.bench_envs" (rows live in training/:
#: it may import envs and policies, which may not import training).
PROVIDER_MODULES: list[str] = [
    "training.bench_envs",
    "training.bench_train",
    "training.bench_controller",
]

#: Seconds spent timing each row by default, and with ``--quick``.
DEFAULT_SECONDS = 1.5
QUICK_SECONDS = 0.25


@dataclasses.dataclass(frozen=True)
class BenchConfig:
    """What the providers may look at when they build their rows.

    Attributes:
        quick: a smoke run: providers may shrink their setup (fewer distinct worlds...).
        seed: seed for worlds, poses and action patterns.
    """

    quick: bool = False
    seed: int = 0


@dataclasses.dataclass(frozen=True)
class BenchRow:
    """One benchmark.

    Attributes:
        group: e.g. "sim", "env", "train", "viewer".
        name: e.g. "step+lidar".
        run: ``run(seconds) -> (units_done, seconds_taken)``; warms up first, then times
            at least ``seconds`` (see :func:`time_loop`).
        units: what ``units_done`` counts per second, e.g. "robot-steps/s".
        batch: robots (or envs) advanced together, or None when not meaningful.
        target: the throughput (in ``units``) the row should reach, or None.
        robot_steps_per_unit: robot-steps behind one unit (1 for a frame or an env step),
            None when the row is not about robot steps (no microseconds column then).
        reference: label of another row (``group/name B=n``) measured in the same run; the
            table shows this row's slowdown against it (reference rate / this rate).
        max_slowdown: the largest allowed slowdown against ``reference`` (a target).
    """

    group: str
    name: str
    run: Callable[[float], tuple[float, float]]
    units: str = "robot-steps/s"
    batch: int | None = None
    target: float | None = None
    robot_steps_per_unit: float | None = 1.0
    reference: str | None = None
    max_slowdown: float | None = None
    #: a latency row: ``run(seconds)`` returns (p50, p99) in ``units`` (e.g. ms) and the
    #: target is an upper bound on p99.
    latency: bool = False

    @property
    def label(self) -> str:
        """The row's ``group/name B=batch``, which ``--only`` matches."""
        b = "" if self.batch is None else f" B={self.batch}"
        return f"{self.group}/{self.name}{b}"


@dataclasses.dataclass(frozen=True)
class BenchResult:
    """A timed row (JSON-friendly via :meth:`to_dict`)."""

    group: str
    name: str
    batch: int | None
    units: str
    units_done: float
    seconds: float
    throughput: float
    us_per_robot_step: float | None
    target: float | None
    met: bool | None
    reference: str | None = None
    slowdown: float | None = None
    max_slowdown: float | None = None
    latency_p50: float | None = None
    latency_p99: float | None = None

    @property
    def label(self) -> str:
        b = "" if self.batch is None else f" B={self.batch}"
        return f"{self.group}/{self.name}{b}"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_PROVIDERS: list[Callable[[BenchConfig], list[BenchRow]]] = []


def row_provider(
    fn: Callable[[BenchConfig], list[BenchRow]],
) -> Callable[[BenchConfig], list[BenchRow]]:
    """Register ``fn(config) -> list[BenchRow]`` (a decorator); rows appear in order.

    How to add rows (e.g. env or training throughput) from another module::

        from training.bench import BenchRow, row_provider, time_loop

        @row_provider
        def env_rows(config: BenchConfig) -> list[BenchRow]:
            def run(seconds: float) -> tuple[float, float]:
                env = ...  # build lazily: only selected rows pay for their setup

                def tick() -> float:
                    env.step(actions)
                    return n_envs  # units done by this call

                return time_loop(tick, seconds)

            return [BenchRow("env", "PointNav step", run, units="env-steps/s", batch=64)]

    and append that module's name to :data:`PROVIDER_MODULES`.
    """
    if fn not in _PROVIDERS:
        _PROVIDERS.append(fn)
    return fn


def collect_rows(config: BenchConfig, only: str | None = None) -> list[BenchRow]:
    """Every registered row, filtered by a case-insensitive substring of its label."""
    for module in PROVIDER_MODULES:
        importlib.import_module(module)
    rows = [row for provider in _PROVIDERS for row in provider(config)]
    if only:
        needle = only.lower()
        rows = [r for r in rows if needle in r.label.lower()]
    return rows


def time_loop(
    tick: Callable[[], float], seconds: float, warmup: int = 3, chunks: int = 5
) -> tuple[float, float]:
    """Time ``tick()`` (which returns the units it did) for about ``seconds``.

    ``tick`` first runs ``warmup`` times untimed (numba compiles then). The timed part is
    split into ``chunks`` equal slices of wall time, each at least one call; the slice with
    the median rate is returned, which shrugs off a burst of load from other processes.

    Returns:
        (units done in the median slice, seconds that slice took).
    """
    for _ in range(warmup):
        tick()
    slices: list[tuple[float, float]] = []
    per_chunk = seconds / max(chunks, 1)
    for _ in range(max(chunks, 1)):
        units = 0.0
        start = time.perf_counter()
        while True:
            units += tick()
            elapsed = time.perf_counter() - start
            if elapsed >= per_chunk:
                break
        slices.append((units, elapsed))
    slices.sort(key=lambda s: s[0] / s[1])
    return slices[len(slices) // 2]


def run_rows(
    rows: Sequence[BenchRow],
    seconds: float,
    on_result: Callable[[BenchResult], None] | None = None,
) -> list[BenchResult]:
    """Time each row for about ``seconds``; ``on_result`` sees each result as it lands."""
    results = []
    for row in rows:
        if row.latency:
            p50, p99 = row.run(seconds)
            result = BenchResult(
                group=row.group,
                name=row.name,
                batch=row.batch,
                units=row.units,
                units_done=0.0,
                seconds=float(seconds),
                throughput=float(p99),
                us_per_robot_step=None,
                target=row.target,
                met=None if row.target is None else bool(p99 <= row.target),
                latency_p50=float(p50),
                latency_p99=float(p99),
            )
            results.append(result)
            if on_result is not None:
                on_result(result)
            continue
        units, took = row.run(seconds)
        rate = units / took if took > 0 else float("inf")
        us = None
        if row.robot_steps_per_unit and rate > 0:
            us = 1e6 / (rate * row.robot_steps_per_unit)
        met = None if row.target is None else bool(rate >= row.target)
        result = BenchResult(
            group=row.group,
            name=row.name,
            batch=row.batch,
            units=row.units,
            units_done=float(units),
            seconds=float(took),
            throughput=float(rate),
            us_per_robot_step=us,
            target=row.target,
            met=met,
        )
        results.append(result)
        if on_result is not None:
            on_result(result)
    return _with_slowdowns(rows, results)


def _with_slowdowns(rows: Sequence[BenchRow], results: list[BenchResult]) -> list[BenchResult]:
    """Fill each result's slowdown against its reference row (when both were run)."""
    by_label = {r.label: r for r in results}
    out = []
    for row, res in zip(rows, results, strict=True):
        ref = by_label.get(row.reference) if row.reference else None
        if ref is not None and res.throughput > 0:
            slow = ref.throughput / res.throughput
            met = res.met
            if row.max_slowdown is not None:
                met = (met is not False) and slow <= row.max_slowdown
            res = dataclasses.replace(
                res, reference=row.reference, slowdown=slow, max_slowdown=row.max_slowdown, met=met
            )
        out.append(res)
    return out


# ----------------------------------------------------------------- simulator rows
#: Robots per world batch in the simulator rows.
SIM_BATCHES = (1, 256)
#: Length of the pre-generated action pattern (it repeats).
ACTION_PATTERN_STEPS = 128


@dataclasses.dataclass
class _SimFixture:
    sim: Any  # robot.sim.Simulator (imported lazily)
    actions: NDArray[np.float64]  # (T, B, 2) the repeating action pattern
    poses: NDArray[np.float64]  # (B, 3) start poses
    seeds: NDArray[np.int64]  # (B,)

    def rewind(self) -> None:
        """Back to the start poses and seeds (the worlds stay)."""
        b = self.sim.batch_size
        self.sim.reset(np.arange(b), seeds=self.seeds, poses=self.poses)


@functools.lru_cache(maxsize=4)
def _sim_fixture(batch: int, seed: int, quick: bool) -> _SimFixture:
    """A simulator of ``batch`` robots, each in its own generated rooms world at a sampled
    free pose, and a fixed (T, batch, 2) random action pattern (mostly forward)."""
    from robot.sim import Simulator
    from robot.specs import CameraSpec, LidarSpec, SimSpec, WorldSpec
    from robot.worldgen import generate_world, sample_free_pose

    spec = SimSpec(
        lidar=LidarSpec(beams=64),
        camera=CameraSpec(width=64, height=64),
        world=WorldSpec(kind="rooms"),
    )
    rng = np.random.default_rng(seed)
    # --quick cycles 16 distinct worlds through the batch to save generation time.
    n_worlds = min(batch, 16) if quick else batch
    unique = [generate_world(spec.world, seed + k) for k in range(n_worlds)]
    worlds = [unique[k % n_worlds] for k in range(batch)]
    poses = np.array([sample_free_pose(w, rng) for w in worlds], dtype=np.float64)
    seeds = np.arange(seed, seed + batch, dtype=np.int64)
    sim = Simulator(spec, batch_size=batch)
    sim.reset(np.arange(batch), seeds=seeds, worlds=worlds, poses=poses)
    linear = rng.uniform(-0.3, 1.0, size=(ACTION_PATTERN_STEPS, batch))
    angular = rng.uniform(-1.0, 1.0, size=(ACTION_PATTERN_STEPS, batch))
    return _SimFixture(sim, np.stack([linear, angular], axis=-1), poses, seeds)


def _sim_row_runner(
    batch: int, config: BenchConfig, lidar: bool, camera: bool
) -> Callable[[float], tuple[float, float]]:
    def run_row(seconds: float) -> tuple[float, float]:
        fx = _sim_fixture(batch, config.seed, config.quick)
        fx.rewind()
        sim, actions, b = fx.sim, fx.actions, fx.sim.batch_size
        ranges = np.empty((b, sim.spec.lidar.beams), dtype=np.float32)
        frames = np.empty((b, 3, sim.spec.camera.height, sim.spec.camera.width), dtype=np.uint8)
        t = 0

        def tick() -> float:
            nonlocal t
            sim.step(actions[t % len(actions)])
            t += 1
            if lidar:
                sim.lidar(out=ranges)
            if camera:
                sim.camera(out=frames)
            return float(b)

        return time_loop(tick, seconds)

    return run_row


@row_provider
def simulator_rows(config: BenchConfig) -> list[BenchRow]:
    """Simulator step alone, with the 64-beam lidar, the 64x64 RGB camera, and both."""
    rows = []
    variants = (
        ("step", False, False, "robot-steps/s"),
        ("step+lidar64", True, False, "robot-steps/s"),
        ("step+camera64", False, True, "frames/s"),
        ("step+lidar64+camera64", True, True, "robot-steps/s"),
    )
    targets = {
        ("step+lidar64", 256): 300_000.0,
        ("step+camera64", 256): 50_000.0,
        ("step+lidar64+camera64", 1): 5_000.0,
    }
    for batch in SIM_BATCHES:
        for name, lidar, camera, units in variants:
            rows.append(
                BenchRow(
                    group="sim",
                    name=name,
                    run=_sim_row_runner(batch, config, lidar, camera),
                    units=units,
                    batch=batch,
                    target=targets.get((name, batch)),
                )
            )
    return rows


# ------------------------------------------------------------------------ output
def _fmt_rate(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:,.1f}" if x >= 1 else f"{x:g}"


def _machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY"),
    }
    try:
        import numba

        info["numba"] = numba.__version__
        info["numba_threads"] = numba.get_num_threads()
        try:  # known only once a parallel kernel has run
            info["numba_threading_layer"] = numba.threading_layer()
        except ValueError:
            info["numba_threading_layer"] = None
    except ImportError:  # pragma: no cover - numba is a dependency
        pass
    return info


def _make_table(results: Sequence[BenchResult], title: str) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("row")
    table.add_column("B", justify="right")
    table.add_column("throughput", justify="right")
    table.add_column("units")
    table.add_column("µs/robot-step", justify="right")
    table.add_column("target", justify="right")
    table.add_column("vs reference", justify="right")
    table.add_column("met", justify="center")
    for r in results:
        met = "" if r.met is None else ("[green]yes[/]" if r.met else "[red]NO[/]")
        table.add_row(
            f"{r.group}/{r.name}",
            "" if r.batch is None else str(r.batch),
            _fmt_value(r),
            r.units,
            "" if r.us_per_robot_step is None else f"{r.us_per_robot_step:.2f}",
            ""
            if r.target is None
            else ("p99 <= " if r.latency_p99 is not None else ">= ") + _fmt_rate(r.target),
            _fmt_slowdown(r),
            met,
        )
    return table


def _fmt_value(r: BenchResult) -> str:
    if r.latency_p99 is not None:
        return f"p50 {r.latency_p50:.3f} / p99 {r.latency_p99:.3f}"
    return _fmt_rate(r.throughput)


def _fmt_slowdown(r: BenchResult) -> str:
    if r.slowdown is None:
        return ""
    limit = "" if r.max_slowdown is None else f" (<= {r.max_slowdown:.2f}x)"
    return f"{r.slowdown:.2f}x slower than {r.reference}{limit}"


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2) + "\n")
    os.replace(tmp, path)


# --------------------------------------------------------------------------- CLI
def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``smartbot bench``."""
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results as JSON")
    parser.add_argument(
        "--seconds",
        type=float,
        default=None,
        help=f"time per row, s (default {DEFAULT_SECONDS}; {QUICK_SECONDS} with --quick)",
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument(
        "--only", metavar="SUBSTR", help='run rows whose "group/name B=n" contains SUBSTR'
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for worlds and actions")
    parser.add_argument(
        "--threads", type=int, default=None, help="numba threads (default: all cores)"
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 when a target is missed"
    )


def run(args: argparse.Namespace) -> int:
    """Run the selected rows, print the table, write the JSON; 0 (or 1: --strict, missed)."""
    from rich.console import Console

    from training.cli import UserError

    seconds = args.seconds
    if seconds is None:
        seconds = QUICK_SECONDS if args.quick else DEFAULT_SECONDS
    if not seconds > 0:
        raise UserError(f"--seconds: expected a positive number, got {args.seconds}")
    if args.threads is not None:
        import numba

        limit = int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]
        if not 1 <= args.threads <= limit:
            raise UserError(f"--threads: {args.threads} out of range; allowed [1, {limit}]")
        numba.set_num_threads(args.threads)
    config = BenchConfig(quick=bool(args.quick), seed=int(args.seed))
    rows = collect_rows(config, args.only)
    if not rows:
        raise UserError(f"--only: no row matches {args.only!r}")

    # Not a terminal (a log, a pipe): do not squeeze the table into 80 columns.
    console = Console() if sys.stdout.isatty() else Console(width=200)
    machine = _machine()
    console.print(
        f"[bold]smartbot bench[/]: {len(rows)} rows, {seconds:g} s each; "
        f"{machine['cpu_count']} CPUs, numba {machine.get('numba', '?')} "
        f"({machine.get('numba_threads', '?')} threads)"
    )

    def progress(r: BenchResult) -> None:
        console.print(
            f"  {r.group}/{r.name} B={r.batch}: {_fmt_value(r)} {r.units}",
            highlight=False,
        )

    results = run_rows(rows, seconds, on_result=progress)
    machine = _machine()  # now with the threading layer the kernels used
    console.print(_make_table(results, "throughput (higher is better)"))
    if machine.get("numba_threading_layer"):
        console.print(
            f"numba threading layer: {machine['numba_threading_layer']}, "
            f"OMP_WAIT_POLICY={machine['OMP_WAIT_POLICY'] or 'unset'} "
            "(numba's OpenMP threads are started PASSIVE unless it is set: see robot/__init__)",
            highlight=False,
        )
    with_target = [r for r in results if r.met is not None]
    missed = [r for r in with_target if not r.met]
    if with_target:
        console.print(f"targets met: {len(with_target) - len(missed)}/{len(with_target)}")
        for r in missed:
            if r.latency_p99 is not None:
                why = f"p99 {r.latency_p99:.3f} > {r.target} {r.units}"
            elif r.target is not None and r.throughput < r.target:
                why = f"{_fmt_rate(r.throughput)} < {_fmt_rate(r.target)} {r.units}"
            else:
                why = (
                    f"{r.slowdown or 0:.2f}x slower than {r.reference} "
                    f"(> {r.max_slowdown or 0:.2f}x)"
                )
            console.print(f"  [red]missed[/] {r.label}: {why}")
    if args.json is not None:
        _write_json(
            args.json,
            {
                "version": 1,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "argv": sys.argv[1:],
                "seconds_per_row": seconds,
                "quick": config.quick,
                "seed": config.seed,
                "machine": machine,
                "rows": [r.to_dict() for r in results],
            },
        )
        console.print(f"wrote {args.json}")
    return 1 if (args.strict and missed) else 0
