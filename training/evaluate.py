"""Evaluate policies headless: success, SPL, collisions, return and length with 95% intervals.

Example::

    smartbot evaluate runs/ppo/final --env smartbot/PointNav-v0 --episodes 200 --out runs/eval
    smartbot evaluate expert --env smartbot/PointNav-v0 --compare random runs/ppo/final

MODEL and every ``--compare`` entry is ``expert`` (the privileged scripted expert),
``random`` (uniform random actions) or the path of a saved policy. One table with a row
per policy is printed and ``OUT/eval.json`` (every summary and episode) plus one
per-episode CSV per policy are written.

**Which episodes.** Evaluation episode ``j`` (j = 0 .. episodes-1) of seed ``s`` is the
first episode the environment plays after ``reset(seed=s + j)``: the same episode as
``gym.make(env_id, split=split).reset(seed=s + j)``. Slots of the vector env take the
next unplayed ``j`` as they become free, so the set of episodes, and each episode's
record, do not depend on ``n_envs`` (records are sorted by ``j``). Policies with a
``seed(int)`` method (e.g. :class:`policies.baselines.RandomPolicy`) are driven one
copy per slot and reseeded with ``s + j`` when episode ``j`` begins, so their actions do
not depend on ``n_envs`` either. Batched policies (``act_batch``) see the whole batch;
a deterministic network gives the same actions at any batch size up to floating-point
rounding of the batched matrix products.
"""

from __future__ import annotations

import argparse
import copy
import csv
import io
import json
import math
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from training.metrics import spl_per_episode, summarise

__all__ = [
    "EPISODE_FIELDS",
    "BASELINES",
    "EvalResult",
    "evaluate",
    "resolve_policy",
    "results_table",
    "write_report",
    "add_arguments",
    "run",
]

#: per-episode record fields, in CSV column order, and what they hold
EPISODE_FIELDS: dict[str, str] = {
    "index": "evaluation episode j (0-based); the record order",
    "seed": "reset seed s + j: gym.make(env_id, split=split).reset(seed=seed) replays it",
    "episode_seed": "the env's episode seed (reset info 'episode_seed')",
    "map_seed": "world seed of the map",
    "slot": "vector-env slot that played it (depends on n_envs; informational)",
    "success": "1 when the robot reached the goal",
    "spl": "S_i * l_i / max(p_i, l_i)",
    "shortest_path": "l_i: geodesic shortest path from the start to the success region, m",
    "path_length": "p_i: path driven, m",
    "contacts": "contact steps",
    "collided": "1 when the episode had at least one contact step",
    "episode_return": "sum of rewards",
    "episode_length": "steps",
}

#: policy names resolved by :func:`resolve_policy` besides model paths
BASELINES = ("expert", "random")

PolicySpec = (
    Any  # "expert" | "random" | a model path | a Policy/BatchPolicy | a factory env -> policy
)


# --------------------------------------------------------------------------- result
@dataclass
class EvalResult:
    """The outcome of :func:`evaluate`.

    Attributes:
        name: the policy's label. env_id, split, seed, n_envs, deterministic: the settings.
        episodes: per-episode records (dicts with the keys of :data:`EPISODE_FIELDS`),
            sorted by ``index``.
        summary: :func:`training.metrics.summarise` of the episodes (each metric with
            ``value``, ``lo``, ``hi``, ``method``).
        env_kwargs: extra env settings used. seconds: wall time of the rollouts.
        source: what was asked for ("expert", "random", the model path), when known.
    """

    name: str
    env_id: str
    split: str
    seed: int
    n_envs: int
    deterministic: bool
    episodes: list[dict[str, Any]]
    summary: dict[str, Any]
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    source: str | None = None

    def column(self, name: str) -> NDArray[Any]:
        """(N,) values of one per-episode field."""
        if name not in EPISODE_FIELDS:
            raise ValueError(f"name: {name!r} is not a field; allowed: {', '.join(EPISODE_FIELDS)}")
        return np.array([e[name] for e in self.episodes])

    def scalars(self) -> dict[str, float]:
        """Flat floats for loggers: ``episodes`` and, for every metric M of the summary
        (success_rate, spl, collision_rate, contacts_per_episode, return, length),
        ``M``, ``M_lo`` and ``M_hi``."""
        out: dict[str, float] = {"episodes": float(self.summary["episodes"])}
        for key, entry in self.summary.items():
            if isinstance(entry, dict):
                out[key] = float(entry["value"])
                out[f"{key}_lo"] = float(entry["lo"])
                out[f"{key}_hi"] = float(entry["hi"])
        return out

    def to_dict(self, with_episodes: bool = True) -> dict[str, Any]:
        """A JSON-ready dict of the settings, the summary and (optionally) the episodes."""
        out: dict[str, Any] = {
            "policy": self.name,
            "source": self.source,
            "env_id": self.env_id,
            "split": self.split,
            "seed": self.seed,
            "n_envs": self.n_envs,
            "deterministic": self.deterministic,
            "env_kwargs": self.env_kwargs,
            "seconds": round(self.seconds, 3),
            "summary": self.summary,
        }
        if with_episodes:
            out["episodes"] = self.episodes
        return _jsonable(out)  # type: ignore[no-any-return]

    def to_json(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_dict` as JSON (atomically); returns the path."""
        return _atomic_write(Path(path), json.dumps(self.to_dict(), indent=2) + "\n")

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write one row per episode with the columns of :data:`EPISODE_FIELDS` (atomically)."""
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(EPISODE_FIELDS), lineterminator="\n")
        writer.writeheader()
        for e in self.episodes:
            writer.writerow({k: _csv_value(e[k]) for k in EPISODE_FIELDS})
        return _atomic_write(Path(path), buf.getvalue())

    def table(self) -> Any:
        """A ``rich.table.Table`` with this result's row (see :func:`results_table`)."""
        return results_table([self])


def _csv_value(v: Any) -> Any:
    if isinstance(v, float):
        return f"{v:.6g}"
    return v


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _atomic_write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return path


# --------------------------------------------------------------------------- table
def _ci(entry: dict[str, Any], fmt: str, scale: float = 1.0) -> str:
    v, lo, hi = (entry[k] * scale for k in ("value", "lo", "hi"))
    return f"{v:{fmt}} [{lo:{fmt}}, {hi:{fmt}}]"


def results_table(results: Sequence[EvalResult], title: str | None = None) -> Any:
    """A ``rich.table.Table`` with one row per result: success % [95% CI], SPL [CI],
    collision rate % [CI], contacts per episode [CI], return [CI] and length [CI]."""
    from rich.table import Table

    if title is None and results:
        r0 = results[0]
        n = r0.summary["episodes"]
        title = f"{r0.env_id}, split {r0.split}, seed {r0.seed}: {n} episodes, 95% CI"
    table = Table(title=title, title_justify="left")
    table.add_column("policy")
    table.add_column("success %", justify="right")
    table.add_column("SPL", justify="right")
    table.add_column("collision %", justify="right")
    table.add_column("contacts/ep", justify="right")
    table.add_column("return", justify="right")
    table.add_column("length", justify="right")
    for r in results:
        s = r.summary
        table.add_row(
            r.name,
            _ci(s["success_rate"], ".1f", 100.0),
            _ci(s["spl"], ".3f"),
            _ci(s["collision_rate"], ".1f", 100.0),
            _ci(s["contacts_per_episode"], ".2f"),
            _ci(s["return"], ".2f"),
            _ci(s["length"], ".1f"),
        )
    return table


# --------------------------------------------------------------------------- policies
def _full_id(env_id: str) -> str:
    return env_id if "/" in env_id else f"smartbot/{env_id}"


def resolve_policy(
    spec: PolicySpec, env_id: str, deterministic: bool = True
) -> tuple[Any, dict[str, Any] | None, str]:
    """Turn a policy spec into (policy or factory, the model's env kwargs or None, label).

    ``"expert"`` -> the :class:`policies.baselines.ScriptedExpert` class (a factory
    ``env -> policy``); ``"random"`` -> a :class:`policies.baselines.RandomPolicy`; any
    other string or path -> :func:`policies.load_policy` ``(path, env_id)``, which raises
    ``FileNotFoundError`` or ``policies.io.ModelMismatchError``; anything else is returned
    as it is.
    """
    if isinstance(spec, str) and spec in BASELINES:
        from policies.baselines import RandomPolicy, ScriptedExpert

        return (ScriptedExpert if spec == "expert" else RandomPolicy(seed=0)), None, spec
    if isinstance(spec, str | os.PathLike):
        from policies import io as policy_io

        policy = policy_io.load_policy(spec, _full_id(env_id), deterministic=deterministic)
        meta = getattr(policy, "meta", None) or {}
        kwargs = dict(meta.get("env_kwargs") or {})
        return policy, kwargs, _path_label(spec)
    return spec, None, _label(spec)


def _path_label(path: str | os.PathLike[str]) -> str:
    """A short table label for a model path: the path itself or its last two parts."""
    text = os.fspath(path)
    parts = Path(text).parts
    return text if len(text) <= 32 or len(parts) <= 2 else str(Path(*parts[-2:]))


def _label(policy: Any) -> str:
    return str(getattr(policy, "__name__", None) or type(policy).__name__)


def _is_factory(obj: Any) -> bool:
    if isinstance(obj, type):
        return True
    return callable(obj) and not (hasattr(obj, "act") or hasattr(obj, "act_batch"))


class _Driver:
    """Drives every slot: one batched policy, or one (deep-copied) plain policy per slot."""

    def __init__(self, policy: Any, n: int) -> None:
        seedable = callable(getattr(policy, "seed", None)) and callable(
            getattr(policy, "act", None)
        )
        self.batched = hasattr(policy, "act_batch") and not seedable
        if not self.batched and not callable(getattr(policy, "act", None)):
            raise TypeError(
                f"policy: {type(policy).__name__} has neither act(obs) nor act_batch(obs, "
                "episode_starts); pass a Policy, a BatchPolicy, a factory env -> policy, "
                "'expert', 'random' or a model path"
            )
        self.n = n
        self.policy = policy
        self.copies: list[Any] = []
        if self.batched:
            if hasattr(policy, "reset_batch"):
                policy.reset_batch(n)
        else:
            self.copies = [copy.deepcopy(policy) for _ in range(n)]
        self.seedable = seedable

    def start(self, slot: int, seed: int) -> None:
        """Slot ``slot`` begins an episode whose reset seed is ``seed``."""
        if not self.batched:
            pol = self.copies[slot]
            if self.seedable:
                pol.seed(seed)
            if hasattr(pol, "reset"):
                pol.reset()

    def act(self, obs: dict[str, NDArray[Any]], starts: NDArray[np.bool_]) -> NDArray[np.float32]:
        if self.batched:
            actions = np.asarray(self.policy.act_batch(obs, starts), dtype=np.float32)
        else:
            actions = np.stack(
                [
                    np.asarray(p.act({k: v[i] for k, v in obs.items()}), dtype=np.float32).reshape(
                        -1
                    )
                    for i, p in enumerate(self.copies)
                ]
            )
        if actions.shape != (self.n, 2):
            raise ValueError(
                f"policy: returned actions of shape {actions.shape}; expected ({self.n}, 2)"
            )
        return actions


# --------------------------------------------------------------------------- evaluate
def evaluate(
    policy: PolicySpec,
    env_id: str,
    episodes: int = 200,
    split: str = "test",
    seed: int = 0,
    n_envs: int = 16,
    deterministic: bool = True,
    env_kwargs: dict[str, Any] | None = None,
    progress: bool = True,
    name: str | None = None,
) -> EvalResult:
    """Run ``policy`` for exactly ``episodes`` episodes of ``env_id`` and summarise them.

    Args:
        policy: ``"expert"``, ``"random"``, a model path (loaded with
            :func:`policies.load_policy`), an object with ``act_batch(obs, episode_starts)``
            (BatchPolicy) or ``act(obs)`` (Policy; one deep copy per slot), or a factory
            ``env -> policy`` (a callable without ``act``, or a class such as
            ``ScriptedExpert``) called with the vector env.
        env_id: e.g. ``"smartbot/PointNav-v0"`` (the ``smartbot/`` prefix is optional).
        episodes: how many episodes, >= 1. split: map stream, train/val/test.
        seed: evaluation seed; episode j is the first episode after ``reset(seed=seed + j)``
            (see the module docstring), so results do not depend on ``n_envs``.
        n_envs: vector-env slots (capped at ``episodes``).
        deterministic: for policies with a ``deterministic`` attribute (trained models):
            act with the distribution's mode (True) or sample (False).
        env_kwargs: extra env settings (``gym.make`` keyword arguments); for a model path,
            default the model's own. ``split`` always comes from ``split``.
        progress: show a rich progress bar. name: the label in tables (default derived).
    Returns:
        an :class:`EvalResult` with ``episodes`` records sorted by episode index.
    """
    import gymnasium as gym

    import envs  # noqa: F401  (registers the ids)

    if isinstance(episodes, bool) or not isinstance(episodes, int | np.integer) or episodes < 1:
        raise ValueError(f"episodes: {episodes!r} is not allowed; expected an integer >= 1")
    if isinstance(n_envs, bool) or not isinstance(n_envs, int | np.integer) or n_envs < 1:
        raise ValueError(f"n_envs: {n_envs!r} is not allowed; expected an integer >= 1")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed: {seed!r} is not allowed; expected an integer >= 0")
    episodes, n_envs, seed = int(episodes), int(n_envs), int(seed)
    env_id = _full_id(env_id)
    pol, model_kwargs, label = resolve_policy(policy, env_id, deterministic)
    kwargs = dict(model_kwargs or {}) if env_kwargs is None else dict(env_kwargs)
    kwargs.pop("split", None)
    n = min(n_envs, episodes)
    env = gym.make_vec(env_id, n, vectorization_mode="vector_entry_point", split=split, **kwargs)
    restore: tuple[Any, Any] | None = None
    try:
        if _is_factory(pol):
            pol = pol(env)
        if hasattr(pol, "deterministic"):
            restore = (pol, pol.deterministic)
            pol.deterministic = deterministic
        t0 = time.perf_counter()
        records = _rollout(env, pol, episodes, seed, progress, name or label)
        seconds = time.perf_counter() - t0
    finally:
        if restore is not None:
            restore[0].deterministic = restore[1]
        env.close()
    return EvalResult(
        name=name or label,
        env_id=env_id,
        split=split,
        seed=seed,
        n_envs=n,
        deterministic=deterministic,
        episodes=records,
        summary=summarise(records),
        env_kwargs=kwargs,
        seconds=seconds,
        source=os.fspath(policy) if isinstance(policy, str | os.PathLike) else None,
    )


def _rollout(
    env: Any, policy: Any, episodes: int, seed: int, progress: bool, label: str
) -> list[dict[str, Any]]:
    """Play evaluation episodes 0 .. episodes-1 (episode j after reset(seed=seed + j)).

    ``current[i]`` is the episode j slot i plays, ``upcoming[i]`` the one it plays after
    its next (automatic) reset; ``episodes`` marks a spare episode whose result is dropped.
    """
    from envs.seeding import episode_seed

    task = env.unwrapped.task
    n = env.num_envs
    driver = _Driver(policy, n)
    spare = episodes
    obs, _ = env.reset(seed=seed)  # slot i plays episode j = i (n <= episodes)
    current = np.arange(n, dtype=np.int64)
    upcoming = np.full(n, spare, dtype=np.int64)
    next_j = n
    records: dict[int, dict[str, Any]] = {}

    def begin(i: int) -> None:
        """Slot i just began episode current[i]: note its map, choose and pre-seed its next.

        The vector env autoresets a slot in the step its episode ends, into the next
        episode of the slot's seed stream. Re-seeding the stream now (``task.seed`` only
        sets the base seed that the slot's *next* reset uses; the running episode is not
        touched) makes that next episode the first one of ``seed + upcoming[i]``, without
        a wasted reset. Spare slots replay episode 0, whose map is already built.
        """
        nonlocal next_j
        j = int(current[i])
        if j < episodes:
            entry = task.entries[i]
            records[j] = {
                "index": j,
                "seed": seed + j,
                "episode_seed": episode_seed(seed + j, 0),
                "map_seed": int(entry.world.seed) if entry is not None else -1,
                "slot": i,
            }
            driver.start(i, seed + j)
        if next_j < episodes:
            upcoming[i] = next_j
            next_j += 1
        else:
            upcoming[i] = spare
        task.seed(np.array([i]), [seed + (int(upcoming[i]) if upcoming[i] < episodes else 0)])

    for i in range(n):
        begin(i)
    starts = np.ones(n, dtype=bool)
    finished = 0
    bar, bar_task = _progress_bar(progress, label, episodes)
    try:
        while finished < episodes:
            actions = driver.act(obs, starts)
            obs, _, terminated, truncated, infos = env.step(actions)
            starts = np.asarray(terminated | truncated, dtype=bool)
            if not starts.any():
                continue
            final = infos["final_info"]
            for i in np.flatnonzero(starts).tolist():
                j = int(current[i])
                if j < episodes:
                    _finish(records[j], final, i)
                    finished += 1
                    if bar is not None:
                        bar.advance(bar_task)
                current[i] = upcoming[i]
                begin(i)
    finally:
        if bar is not None:
            bar.stop()
    return [records[j] for j in range(episodes)]


def _finish(rec: dict[str, Any], final: dict[str, NDArray[Any]], i: int) -> None:
    """Complete record ``rec`` from the final info of slot ``i``."""
    success = int(bool(final["is_success"][i]))
    shortest = float(final["shortest_path"][i])
    driven = float(final["path_length"][i])
    contacts = int(final["contacts"][i])
    rec.update(
        success=success,
        spl=float(spl_per_episode([success], [shortest], [driven])[0]),
        shortest_path=shortest,
        path_length=driven,
        contacts=contacts,
        collided=int(contacts > 0),
        episode_return=float(final["episode_return"][i]),
        episode_length=int(final["episode_step"][i]),
    )


def _progress_bar(enabled: bool, label: str, total: int) -> tuple[Any, Any]:
    if not enabled:
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task_id = bar.add_task(f"evaluating {label}", total=total)
    bar.start()
    return bar, task_id


# --------------------------------------------------------------------------- report
def _safe_name(label: str, used: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("._") or "policy"
    name, k = base, 2
    while name in used:
        name, k = f"{base}-{k}", k + 1
    used.add(name)
    return name


def write_report(results: Sequence[EvalResult], out: str | os.PathLike[str]) -> dict[str, Path]:
    """Write ``out/eval.json`` (every result with summary and episodes) and one
    ``out/<policy>_episodes.csv`` per result; returns {"json": path, label: csv path}."""
    out_dir = Path(out)
    used: set[str] = set()
    paths: dict[str, Path] = {}
    entries = []
    for r in results:
        csv_path = out_dir / f"{_safe_name(r.name, used)}_episodes.csv"
        r.to_csv(csv_path)
        paths[r.name] = csv_path
        entries.append({**r.to_dict(), "csv": csv_path.name})
    payload = {"metrics": "see training/metrics.py", "policies": entries}
    paths["json"] = _atomic_write(
        out_dir / "eval.json", json.dumps(_jsonable(payload), indent=2) + "\n"
    )
    return paths


# --------------------------------------------------------------------------- CLI
def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``smartbot evaluate``."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter  # keep the docstring's layout
    parser.add_argument("model", metavar="MODEL", help="'expert', 'random' or a saved policy path")
    parser.add_argument(
        "--env",
        default=None,
        metavar="ID",
        help="environment id, e.g. smartbot/PointNav-v0 (default: the model's)",
    )
    parser.add_argument(
        "--episodes", type=int, default=200, help="episodes per policy (default 200)"
    )
    parser.add_argument(
        "--split", choices=("train", "val", "test"), default="test", help="map split (default test)"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="evaluation seed: episode j plays reset(seed=SEED+j) (default 0)",
    )
    parser.add_argument("--n-envs", type=int, default=16, help="parallel env slots (default 16)")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("runs/eval"),
        metavar="DIR",
        help="output folder for eval.json and the CSVs (default runs/eval)",
    )
    parser.add_argument(
        "--compare",
        nargs="+",
        default=[],
        metavar="POLICY",
        help="more policies for the same table: 'expert', 'random' or paths",
    )
    parser.add_argument(
        "--stochastic",
        action="store_true",
        help="sample actions from trained policies instead of taking the mode",
    )
    parser.add_argument(
        "--no-progress", dest="progress", action="store_false", help="hide the progress bars"
    )


def _load_for_cli(
    spec: str, env_id: str | None, deterministic: bool
) -> tuple[Any, dict[str, Any] | None, str, str]:
    """(policy, model env kwargs, label, env id) with load errors as one-line UserErrors."""
    from training.cli import UserError

    if spec in BASELINES:
        if env_id is None:
            raise UserError(
                f"--env: required when MODEL is {spec!r} (e.g. --env smartbot/PointNav-v0)"
            )
        pol, kwargs, label = resolve_policy(spec, env_id, deterministic)
        return pol, kwargs, label, env_id
    from policies.io import ModelMismatchError, read_meta

    hint = "pass a saved policy (NAME.json + NAME.safetensors), 'expert' or 'random'"
    meta: dict[str, Any] = {}
    try:
        meta = read_meta(spec)
        target = env_id or meta.get("env_id")
        if not target:
            raise UserError(f"--env: {spec} does not name its environment; pass --env ID")
        pol, kwargs, label = resolve_policy(spec, target, deterministic)
    except FileNotFoundError:
        raise UserError(f"{spec}: no such model; {hint}") from None
    except ModelMismatchError as err:
        trained = meta.get("env_id")
        fix = f"pass --env {trained}" if trained else "evaluate it on the env it was trained for"
        raise UserError(f"{spec}: {err}; {fix}") from None
    except (ValueError, KeyError, OSError) as err:
        raise UserError(f"{spec}: cannot load the model ({err}); {hint}") from None
    return pol, kwargs, label, _full_id(str(target))


def run(args: argparse.Namespace) -> int:
    """Evaluate MODEL and every --compare policy, print the table, write the report; 0."""
    from rich.console import Console

    from envs import TASK_IDS
    from robot.specs import SpecError
    from training.cli import UserError

    for flag, value in (("--episodes", args.episodes), ("--n-envs", args.n_envs)):
        if value < 1:
            raise UserError(f"{flag}: expected an integer >= 1, got {value}")
    if args.seed < 0:
        raise UserError(f"--seed: expected an integer >= 0, got {args.seed}")
    env_id = None if args.env is None else _full_id(args.env)
    if env_id is not None and env_id not in TASK_IDS:
        raise UserError(
            f"--env: {args.env!r} is not a smartbot task; allowed: {', '.join(TASK_IDS)}"
        )
    deterministic = not args.stochastic
    specs = [args.model, *args.compare]
    # load every model first, so a bad path fails before any rollout; without --env the
    # first model's own env is used
    order = sorted(range(len(specs)), key=lambda k: specs[k] in BASELINES)
    loaded: list[Any] = [None] * len(specs)
    for k in order:
        pol, kwargs, label, env_id = _load_for_cli(specs[k], env_id, deterministic)
        loaded[k] = (pol, kwargs, label)
    assert env_id is not None  # _load_for_cli raised otherwise
    # baselines run in the first model's env settings, so the rows are comparable
    base_kwargs: dict[str, Any] = next((kw for _, kw, _ in loaded if kw is not None), {})
    console = Console()
    if not console.is_terminal:  # piped or redirected: one line per row, not wrapped at 80
        console = Console(width=160)
    results = []
    for spec, (pol, kwargs, label) in zip(specs, loaded, strict=True):
        try:
            result = evaluate(
                pol,
                env_id,
                episodes=args.episodes,
                split=args.split,
                seed=args.seed,
                n_envs=args.n_envs,
                deterministic=deterministic,
                env_kwargs=base_kwargs if kwargs is None else kwargs,
                progress=args.progress,
                name=label,
            )
        except SpecError as err:  # env settings (e.g. a model's env_kwargs) the env refuses
            raise UserError(f"{label}: {err}") from None
        result.source = spec
        results.append(result)
    console.print(results_table(results))
    paths = write_report(results, args.out)
    console.print(f"wrote {paths['json']} and {len(results)} per-episode CSV file(s) in {args.out}")
    return 0
