"""Train a robot policy with stable-baselines3: ``smartbot train --env ID --algo ppo``.

One run writes one folder (``runs/<task>_<algo>_s<seed>_<time>/``):

* ``config.yaml``: the resolved, validated config;
* ``tb/``: TensorBoard logs (losses, rollout and ``eval/`` success and SPL);
* ``checkpoints/last.zip`` + ``state.json``: written atomically every
  ``checkpoint_every_steps``; ``--resume RUN`` continues from them (SB3 zips hold
  pickled objects: resume only your own runs);
* ``best/model.{safetensors,json}``: the best policy by ``val`` success (then SPL);
* ``final/model.{safetensors,json}``: the policy at the end;
* ``learning_curve.png``, ``evals.csv``, ``episodes.csv``, ``summary.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from robot.sim import sim_threads
from training.callbacks import Checkpointer, EpisodeLog, PeriodicEval, PhaseThreads, RichProgress
from training.cli import UserError
from training.config import ConfigError, algo_class, load_config, resolve_config, task_slug

__all__ = ["train", "add_arguments", "run", "make_train_env", "resolve_device"]


def resolve_device(device: str) -> str:
    """``auto`` -> ``cuda`` when available, else ``cpu``; ``cuda`` without a GPU is an error."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda: no CUDA device is available here; use --device cpu or auto")
    return device


def make_train_env(cfg: dict[str, Any], seed: int) -> Any:
    """The SB3 VecEnv of a config: the batched adapter (+ discrete actions for DQN)."""
    from envs.sb3 import DiscreteActionVecEnv, make_sb3_env

    env: Any = make_sb3_env(cfg["env"], cfg["n_envs"], seed=seed, **cfg["env_kwargs"])
    if cfg["algo"] == "dqn":
        env = DiscreteActionVecEnv(env)
    return env


def _algo_kwargs(cfg: dict[str, Any]) -> dict[str, Any]:
    """The algorithm's keyword arguments, with the learning-rate schedule applied and, for
    PPO and A2C, :class:`training.rollout_buffer.LeanDictRolloutBuffer` (every task's
    observation is a Dict; the same weights as SB3's buffer, to the bit)."""
    kwargs = dict(cfg["algo_kwargs"])
    if cfg["algo"] in ("ppo", "a2c"):
        from training.rollout_buffer import LeanDictRolloutBuffer

        kwargs["rollout_buffer_class"] = LeanDictRolloutBuffer
    if cfg.get("lr_schedule", "constant") == "linear":
        lr0 = float(kwargs.get("learning_rate", 3e-4))
        kwargs["learning_rate"] = _LinearSchedule(lr0)
    return kwargs


class _LinearSchedule:
    """learning_rate x progress_remaining (SB3 passes 1 at the start, 0 at the end)."""

    def __init__(self, initial: float) -> None:
        self.initial = initial

    def __call__(self, progress_remaining: float) -> float:
        return self.initial * max(progress_remaining, 0.0)


def _policy_meta(cfg: dict[str, Any]) -> dict[str, Any]:
    if cfg["algo"] == "dqn":
        from envs.actions import DEFAULT_DISCRETE_ACTIONS

        return {"action_table": DEFAULT_DISCRETE_ACTIONS.tolist()}
    return {}


def _save_policy(
    model: Any, cfg: dict[str, Any], path: Path, extra: dict[str, Any] | None = None
) -> None:
    from policies.io import save_policy

    save_policy(
        model,
        path,
        env_id=cfg["env"],
        algo=cfg["algo"],
        policy_config=cfg["policy"],
        env_kwargs=cfg["env_kwargs"],
        extra={**_policy_meta(cfg), **(extra or {})},
    )


def _evaluator(cfg: dict[str, Any]) -> Any:
    from policies.sb3_policy import SB3Policy
    from training.evaluate import evaluate

    ev = cfg["eval"]

    def run_eval(model: Any) -> dict[str, float]:
        policy = SB3Policy(model.policy, deterministic=True, meta=_policy_meta(cfg))
        result = evaluate(
            policy,
            cfg["env"],
            episodes=int(ev.get("episodes", 32)),
            split=ev.get("split", "val"),
            seed=int(cfg["seed"]),
            n_envs=int(ev.get("n_envs", 16)),
            env_kwargs=cfg["env_kwargs"],
            progress=False,
        )
        model.policy.set_training_mode(False)
        return result.scalars()

    return run_eval


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    keys = list(rows[0])
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def plot_learning_curve(
    path: Path, episodes: list[dict[str, float]], evals: list[dict[str, float]], title: str
) -> None:
    """Success and return against steps (training episodes, rolling 100; val evaluations)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    if episodes:
        steps = np.array([e["step"] for e in episodes])
        succ = np.array([e["success"] for e in episodes])
        ret = np.array([e["return"] for e in episodes])
        k = min(100, len(steps))
        kernel = np.ones(k) / k
        if len(steps) >= k:
            ax1.plot(
                steps[k - 1 :],
                np.convolve(succ, kernel, "valid"),
                label="train (rolling 100)",
                alpha=0.7,
            )
            ax2.plot(steps[k - 1 :], np.convolve(ret, kernel, "valid"), label="train (rolling 100)")
    if evals:
        es = [e["step"] for e in evals]
        ax1.plot(es, [e["success_rate"] for e in evals], "o-", label="val success")
        ax1.plot(es, [e["spl"] for e in evals], "s--", label="val SPL")
        if "mean_return" in evals[0]:
            ax2.plot(es, [e["mean_return"] for e in evals], "o-", label="val return")
    ax1.set(xlabel="steps", ylabel="success / SPL", ylim=(-0.02, 1.02), title=f"{title}: success")
    ax2.set(xlabel="steps", ylabel="episode return", title=f"{title}: return")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:  # nothing to label before the first episode
            ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def train(
    cfg: dict[str, Any],
    run_dir: Path,
    *,
    resume: bool = False,
    progress: bool = True,
    verbose: bool = True,
) -> dict[str, Any]:
    """Train (or resume) one run described by a validated config; returns the summary.

    Torch runs on ``torch_threads`` threads, the simulator's kernels on ``sim_threads``
    (restored afterwards).
    """
    import torch

    torch.set_num_threads(int(cfg["torch_threads"]))
    with sim_threads(int(cfg.get("sim_threads", 1))):
        return _train(cfg, run_dir, resume=resume, progress=progress, verbose=verbose)


def _train(
    cfg: dict[str, Any], run_dir: Path, *, resume: bool, progress: bool, verbose: bool
) -> dict[str, Any]:
    device = resolve_device(cfg["device"])
    run_dir.mkdir(parents=True, exist_ok=True)
    cls = algo_class(cfg["algo"])
    state: dict[str, Any] = {}
    if resume:
        ckpt = run_dir / "checkpoints" / "last.zip"
        if not ckpt.is_file():
            raise UserError(
                f"--resume {run_dir}: no checkpoint (checkpoints/last.zip); start a new run"
            )
        state = (
            json.loads((run_dir / "state.json").read_text())
            if (run_dir / "state.json").is_file()
            else {}
        )
        done = int(state.get("num_timesteps", 0))
        env = make_train_env(cfg, int(cfg["seed"]) + 1_000_003 * (done + 1))
        model = cls.load(str(ckpt), env=env, device=device, tensorboard_log=str(run_dir / "tb"))
    else:
        (run_dir / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        env = make_train_env(cfg, int(cfg["seed"]))
        from policies.builders import build_policy_kwargs, init_policy, policy_class, task_mirror

        try:
            mirror = task_mirror(
                cfg["policy"], cfg["env"], cfg.get("env_kwargs", {}), env.observation_space
            )
        except ValueError as err:
            raise UserError(str(err)) from None
        model = cls(
            policy_class(cfg["algo"], cfg["policy"]),
            env,
            seed=int(cfg["seed"]),
            device=device,
            verbose=0,
            tensorboard_log=str(run_dir / "tb"),
            policy_kwargs=build_policy_kwargs(cfg["algo"], cfg["policy"], mirror),
            **_algo_kwargs(cfg),
        )
        init_policy(model.policy, cfg["policy"])
        if cfg.get("pretrain") is not None:
            from training.pretrain import apply_pretrained, run_pretrain

            stem = run_pretrain(cfg, run_dir, device=device, progress=progress)
            apply_pretrained(model, stem)
    total = int(cfg["total_timesteps"])
    episodes = EpisodeLog(state.get("episodes", []))
    evals: list[dict[str, float]] = state.get("evals", [])

    def on_best(m: Any, summary: dict[str, float]) -> None:
        _save_policy(
            m,
            cfg,
            run_dir / "best" / "model",
            {"val": summary, "num_timesteps": int(m.num_timesteps)},
        )

    evaluator = PeriodicEval(
        int(cfg["eval"]["every_steps"]), _evaluator(cfg), on_best, evals, verbose
    )
    wall_before = float(state.get("wall_seconds", 0.0))  # training time of earlier sessions
    t0 = time.perf_counter()
    ckpt_cb = Checkpointer(
        run_dir,
        int(cfg["checkpoint_every_steps"]),
        lambda: {
            "episodes": episodes.history,
            "evals": evals,
            "wall_seconds": wall_before + time.perf_counter() - t0,
        },
    )
    bar = RichProgress(
        total, episodes, f"{task_slug(cfg['env'])} {cfg['algo']} s{cfg['seed']}", progress
    )
    collect = int(cfg["torch_threads"])
    phase_threads = PhaseThreads(collect, int(cfg.get("update_threads") or collect))
    remaining = total - int(model.num_timesteps)
    if remaining > 0:
        model.learn(
            remaining,
            callback=[episodes, bar, evaluator, ckpt_cb, phase_threads],
            reset_num_timesteps=not resume,
            tb_log_name="tb",
        )
    wall = time.perf_counter() - t0
    if not evals or evals[-1]["step"] < model.num_timesteps:
        evaluator.init_callback(model)
        evaluator.num_timesteps = model.num_timesteps
        evaluator.run_now()
    ckpt_cb.init_callback(model)
    ckpt_cb.num_timesteps = model.num_timesteps
    ckpt_cb.save()
    _save_policy(
        model, cfg, run_dir / "final" / "model", {"num_timesteps": int(model.num_timesteps)}
    )
    _write_csv(run_dir / "evals.csv", evals)
    _write_csv(run_dir / "episodes.csv", episodes.history)
    plot_learning_curve(
        run_dir / "learning_curve.png",
        episodes.history,
        evals,
        f"{task_slug(cfg['env'])} {cfg['algo']}",
    )
    summary = {
        "run_dir": str(run_dir),
        "env": cfg["env"],
        "algo": cfg["algo"],
        "seed": cfg["seed"],
        "num_timesteps": int(model.num_timesteps),
        "wall_seconds_this_session": round(wall, 1),
        "steps_per_second": round(bar.steps_per_second, 1),
        "wall_seconds_total": round(wall + wall_before, 1),
        "final_val": evals[-1] if evals else None,
        "best_val": max(evals, key=lambda e: (e["success_rate"], e["spl"])) if evals else None,
        "device": device,
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    env.close()
    return summary


def default_run_dir(out: Path, cfg: dict[str, Any], name: str | None) -> Path:
    """``out/<name or task_algo>_s<seed>_<YYYYmmdd-HHMMSS>``."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = name or f"{task_slug(cfg['env'])}_{cfg['algo']}"
    return out / f"{base}_s{cfg['seed']}_{stamp}"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``smartbot train``."""
    p.add_argument("--env", help="task id, e.g. smartbot/PointNav-v0")
    p.add_argument("--algo", help="ppo, a2c, sac, td3, dqn or recurrent_ppo")
    p.add_argument("--config", help="a YAML file with config overrides")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config key (e.g. learning_rate=3e-4, eval.episodes=50)",
    )
    p.add_argument("--n-envs", type=int, help="robots stepped together")
    p.add_argument("--total-timesteps", type=int, help="environment steps to train for")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], help="torch device")
    p.add_argument("--seeds", type=int, nargs="+", help="one run per seed")
    p.add_argument("--out", default="runs", help="folder for run folders (default runs/)")
    p.add_argument("--name", help="run folder name prefix")
    p.add_argument("--resume", metavar="RUN", help="continue an interrupted run folder")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Entry point of ``smartbot train``."""
    try:
        if args.resume:
            run_dir = Path(args.resume)
            cfg = load_config(run_dir / "config.yaml")
            s = train(cfg, run_dir, resume=True, progress=not args.no_progress)
            _print_summary([s])
            return 0
        overrides = list(args.set)
        for flag, key in (
            ("n_envs", "n_envs"),
            ("total_timesteps", "total_timesteps"),
            ("device", "device"),
        ):
            if getattr(args, flag) is not None:
                overrides.append(f"{key}={getattr(args, flag)}")
        seeds = args.seeds or [None]
        summaries = []
        for seed in seeds:
            cfg = resolve_config(
                args.env,
                args.algo,
                args.config,
                overrides + ([f"seed={seed}"] if seed is not None else []),
            )
            run_dir = default_run_dir(Path(args.out), cfg, args.name)
            print(f"run folder: {run_dir}", flush=True)
            summaries.append(train(cfg, run_dir, progress=not args.no_progress))
        _print_summary(summaries)
        return 0
    except ConfigError as err:
        raise UserError(str(err)) from None


def _print_summary(summaries: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title="training runs")
    for col in ("run folder", "steps", "steps/s", "wall s", "val success", "val SPL"):
        t.add_column(col)
    for s in summaries:
        v = s.get("final_val") or {}
        t.add_row(
            s["run_dir"],
            f"{s['num_timesteps']:,}",
            f"{s['steps_per_second']:,.0f}",
            f"{s['wall_seconds_total']:.0f}",
            f"{100 * v.get('success_rate', math.nan):.1f}%",
            f"{v.get('spl', math.nan):.3f}",
        )
    Console().print(t)
