"""Watch a policy drive: a pygame window with the world, the robot's senses and its policy.

MODEL is ``expert`` (the privileged scripted expert), ``random`` or the path of a saved
policy (NAME.json + NAME.safetensors; its own environment is used unless --env is given).
Episode j plays ``reset(seed=SEED+j)`` on the --split maps, like ``smartbot evaluate``.

Keys: space pause, n step, r reset, +/- speed, m manual driving (arrow keys), s screenshot,
v record, h help, q quit.

Examples::

    smartbot watch expert --env smartbot/PointNav-v0
    smartbot watch runs/ppo/final --safety --seed 7
    smartbot watch runs/ppo/final --headless --record out.mp4 --episodes 3
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

__all__ = ["add_arguments", "run"]

NO_DISPLAY = "no display: use --headless --record out.mp4"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``smartbot watch``."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter  # keep the docstring's layout
    parser.add_argument("model", metavar="MODEL", help="'expert', 'random' or a saved policy path")
    parser.add_argument(
        "--env", default=None, metavar="ID",
        help="environment id, e.g. smartbot/PointNav-v0 (default: the model's)",
    )  # fmt: skip
    parser.add_argument(
        "--seed", type=int, default=0, help="episode j plays reset(seed=SEED+j) (default 0)"
    )
    parser.add_argument(
        "--split", choices=("train", "val", "test"), default="test", help="map split (default test)"
    )
    parser.add_argument(
        "--episodes", type=int, default=None,
        help="stop after N episodes (default: until q in a window, 1 when --headless)",
    )  # fmt: skip
    parser.add_argument(
        "--headless", action="store_true",
        help="no window: run as fast as possible (with --record: render into the video)",
    )  # fmt: skip
    parser.add_argument(
        "--record", type=Path, default=None, metavar="OUT",
        help="record every step into OUT (.mp4 or .gif) at the control rate",
    )  # fmt: skip
    parser.add_argument(
        "--stochastic", action="store_true",
        help="sample actions from a trained policy instead of taking the mode",
    )  # fmt: skip
    parser.add_argument(
        "--safety", action="store_true",
        help="a lidar safety layer slows or stops the robot before a contact",
    )  # fmt: skip
    pace = parser.add_mutually_exclusive_group()
    pace.add_argument(
        "--realtime", dest="realtime", action="store_true", default=True,
        help="run at the control rate times the speed (+/-) (default)",
    )  # fmt: skip
    pace.add_argument(
        "--fast", dest="realtime", action="store_false", help="run as fast as possible"
    )
    parser.add_argument(
        "--screenshot-dir", type=Path, default=Path("runs/watch"), metavar="DIR",
        help="folder for screenshots (s) and recordings (v) (default runs/watch)",
    )  # fmt: skip
    parser.add_argument(
        "--size", default="960x720", metavar="WxH", help="window size, px (default 960x720)"
    )


def _size(text: str) -> tuple[int, int]:
    from training.cli import UserError

    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not m or int(m.group(1)) < 480 or int(m.group(2)) < 360:
        raise UserError(f"--size: expected WIDTHxHEIGHT of at least 480x360, got {text!r}")
    return int(m.group(1)), int(m.group(2))


def _summary_line(s: Any) -> str:
    outcome = "success" if s.success else ("time out" if s.truncated else "failed")
    return (
        f"episode {s.episode + 1} (seed {s.seed}): {outcome} in {s.steps} steps, "
        f"return {s.episode_return:+.2f}, contacts {s.contacts}, "
        f"latency p50 {1000 * s.latency_p50:.2f} ms p99 {1000 * s.latency_p99:.2f} ms"
        + (f", safety stops {s.interventions}" if s.interventions else "")
        + (f", watchdog overruns {s.watchdog_overruns}" if s.watchdog_overruns else "")
    )


def run(args: argparse.Namespace) -> int:
    """Open the viewer (or run headless) and print one line per finished episode; 0."""
    import gymnasium as gym

    from envs import TASK_IDS
    from envs.view import safety_layer, view_state
    from robot.specs import SpecError
    from robot.video import SUPPORTED_EXTENSIONS
    from robot.viewer import NoDisplayError, Viewer, run_viewer
    from training.cli import UserError
    from training.evaluate import _full_id, _is_factory, _load_for_cli

    if args.episodes is not None and args.episodes < 1:
        raise UserError(f"--episodes: expected an integer >= 1, got {args.episodes}")
    if args.seed < 0:
        raise UserError(f"--seed: expected an integer >= 0, got {args.seed}")
    if args.record is not None and args.record.suffix.lower() not in SUPPORTED_EXTENSIONS:
        raise UserError(
            f"--record: {str(args.record)!r} has an unsupported extension; "
            f"allowed: {', '.join(SUPPORTED_EXTENSIONS)} (e.g. --record out.mp4)"
        )
    width, height = _size(args.size)
    env_id = None if args.env is None else _full_id(args.env)
    if env_id is not None and env_id not in TASK_IDS:
        raise UserError(
            f"--env: {args.env!r} is not a smartbot task; allowed: {', '.join(TASK_IDS)}"
        )
    deterministic = not args.stochastic
    policy, kwargs, label, env_id = _load_for_cli(args.model, env_id, deterministic)

    headless = bool(args.headless)
    try:  # open the window before the (slower) env, so a missing display fails at once
        viewer = Viewer(width, height, headless=headless, out_dir=args.screenshot_dir,
                        title=f"smartbot watch - {label} on {env_id}")  # fmt: skip
    except NoDisplayError as err:
        raise UserError(f"{NO_DISPLAY} (no window can open: {err})") from None

    try:
        env_kwargs = {**(kwargs or {}), "split": args.split}
        try:
            env = gym.make(env_id, **env_kwargs)
        except SpecError as err:
            raise UserError(f"{label}: {err}") from None
        if _is_factory(policy):
            policy = policy(env)
        safety = safety_layer(env) if args.safety else None
        fps = float(env.metadata.get("render_fps") or 10)
        viewer.fps = fps
        stats = run_viewer(
            env, policy, view_state, deterministic=deterministic, safety=safety,
            realtime=bool(args.realtime), seed=args.seed, episodes=args.episodes,
            headless=headless, record=args.record, label=label, viewer=viewer,
        )  # fmt: skip
    finally:
        viewer.close()
    for s in stats:
        print(_summary_line(s))
    if not stats:
        print("no episode finished")
    else:
        n = len(stats)
        wins = sum(s.success for s in stats)
        print(f"{wins}/{n} episodes succeeded on {env_id} ({args.split} maps), policy {label}")
    for path, frames in zip(viewer.recordings, viewer.recorded_frames, strict=True):
        print(f"wrote {path} ({frames} frames at {fps:g} fps)")
    for path in viewer.screenshots:
        print(f"wrote {path}")
    return 0
