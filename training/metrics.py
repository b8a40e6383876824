"""Episode metrics and their 95% intervals: pure numpy; used by the evaluator, callbacks, reports.

Definitions (see ``design.md``, Metrics):

* success rate = mean of S_i (S_i = 1 when the episode ended in success);
* SPL = mean of S_i * l_i / max(p_i, l_i), l_i the geodesic shortest-path length from the
  start to the goal, m, p_i the length of the path driven, m. An episode with l_i = 0 (it
  started at the goal) scores S_i;
* collision rate = share of episodes with at least one contact step; also the mean number
  of contact steps per episode, the mean return and the mean episode length (steps).

Rates carry 95% Wilson score intervals; means carry 95% percentile-bootstrap intervals
(seeded, so reproducible) or, on request, Student-t intervals.

Every function takes array-likes of shape (N,), one entry per episode, and raises
``ValueError`` naming the field when it is empty, has the wrong shape or holds values out
of range (NaN, negative lengths, ...).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "CONFIDENCE",
    "Z95",
    "SUMMARY_FIELDS",
    "success_rate",
    "spl_per_episode",
    "spl",
    "wilson_interval",
    "bootstrap_ci",
    "normal_quantile",
    "t_quantile",
    "t_interval",
    "collision_rate",
    "mean_contacts",
    "mean_return",
    "mean_length",
    "summarise",
]

CONFIDENCE = 0.95
#: the standard-normal quantile of a two-sided 95% interval
Z95 = 1.959963984540054

#: the per-episode fields :func:`summarise` needs (each (N,)) and what they hold
SUMMARY_FIELDS: dict[str, str] = {
    "success": "S_i, 1 when the episode ended in success",
    "shortest_path": "l_i, geodesic shortest path from the start to the success region, m",
    "path_length": "p_i, path driven, m",
    "contacts": "contact steps in the episode",
    "episode_return": "sum of rewards",
    "episode_length": "steps",
}


# --------------------------------------------------------------------------- checks
def _vector(values: ArrayLike, field: str, *, allow_empty: bool = False) -> NDArray[np.float64]:
    """``values`` as a finite float64 (N,) array, or ValueError naming ``field``."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{field}: expected numbers, got {values!r:.80}") from None
    if arr.ndim != 1:
        raise ValueError(
            f"{field}: expected a 1-D array (one value per episode), got shape {arr.shape}"
        )
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{field}: no episodes (n=0); a metric needs at least one")
    if not np.all(np.isfinite(arr)):
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ValueError(f"{field}: episode {bad} is {arr[bad]}; expected a finite number")
    return arr


def _nonnegative(values: ArrayLike, field: str) -> NDArray[np.float64]:
    arr = _vector(values, field)
    if np.any(arr < 0):
        bad = int(np.flatnonzero(arr < 0)[0])
        raise ValueError(f"{field}: episode {bad} is {arr[bad]}; expected a value >= 0")
    return arr


def _binary(values: ArrayLike, field: str) -> NDArray[np.float64]:
    arr = _vector(values, field)
    if not np.all((arr == 0) | (arr == 1)):
        bad = int(np.flatnonzero((arr != 0) & (arr != 1))[0])
        raise ValueError(f"{field}: episode {bad} is {arr[bad]}; expected 0/1 or a bool")
    return arr


def _same_length(**arrays: NDArray[Any]) -> None:
    sizes = {name: a.shape[0] for name, a in arrays.items()}
    if len(set(sizes.values())) > 1:
        listed = ", ".join(f"{k}={v}" for k, v in sizes.items())
        raise ValueError(
            f"{next(iter(sizes))}: lengths differ ({listed}); expected one value per episode"
        )


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence: {confidence!r} is out of range; allowed (0, 1)")


# --------------------------------------------------------------------------- rates
def success_rate(success: ArrayLike) -> float:
    """Share of successful episodes, mean of S_i in [0, 1].

    Args:
        success: (N,) bool or 0/1, S_i.
    """
    return float(_binary(success, "success").mean())


def spl_per_episode(
    success: ArrayLike, shortest: ArrayLike, driven: ArrayLike
) -> NDArray[np.float64]:
    """S_i * l_i / max(p_i, l_i) for each episode, (N,) in [0, 1].

    Args:
        success: (N,) S_i. shortest: (N,) l_i, m, >= 0. driven: (N,) p_i, m, >= 0.
    Returns:
        (N,) float64. A failed episode scores 0; one that drove no farther than the
        shortest path (p_i <= l_i, e.g. discretisation of l_i) scores S_i; one with l_i = 0
        (started at the goal) scores S_i.
    """
    s = _binary(success, "success")
    lengths = _nonnegative(shortest, "shortest")
    p = _nonnegative(driven, "driven")
    _same_length(success=s, shortest=lengths, driven=p)
    denom = np.maximum(p, lengths)
    ratio = np.divide(lengths, denom, out=np.ones_like(lengths), where=denom > 0)
    return np.asarray(s * ratio, dtype=np.float64)


def spl(success: ArrayLike, shortest: ArrayLike, driven: ArrayLike) -> float:
    """Success weighted by path length: mean of S_i * l_i / max(p_i, l_i).

    See :func:`spl_per_episode` for the arguments and edge cases.
    """
    return float(spl_per_episode(success, shortest, driven).mean())


def wilson_interval(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion k/n.

    Args:
        k: successes, 0 <= k <= n. n: trials, >= 1. z: normal quantile (1.96: 95%).
    Returns:
        (lo, hi) within [0, 1]; e.g. k=8, n=10 -> (0.490, 0.943).
    """
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"n: {n!r} is not allowed; expected an integer >= 1 (no episodes?)")
    if isinstance(k, bool) or int(k) != k or not 0 <= k <= n:
        raise ValueError(f"k: {k!r} is not allowed; expected an integer in [0, {n}]")
    if not (math.isfinite(z) and z > 0):
        raise ValueError(f"z: {z!r} is not allowed; expected a positive number")
    n = int(n)
    p = int(k) / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1.0 - p) / n + z2 / (4 * n * n)) / denom
    lo = 0.0 if k == 0 else max(0.0, centre - half)
    hi = 1.0 if k == n else min(1.0, centre + half)
    return (lo, hi)


def collision_rate(contacts: ArrayLike) -> float:
    """Share of episodes with at least one contact step, in [0, 1].

    Args:
        contacts: (N,) contact steps per episode (or bools: collided at least once).
    """
    return float((_nonnegative(contacts, "contacts") > 0).mean())


# --------------------------------------------------------------------------- means
def mean_contacts(contacts: ArrayLike) -> float:
    """Mean contact steps per episode."""
    return float(_nonnegative(contacts, "contacts").mean())


def mean_return(returns: ArrayLike) -> float:
    """Mean episode return."""
    return float(_vector(returns, "episode_return").mean())


def mean_length(lengths: ArrayLike) -> float:
    """Mean episode length, steps."""
    return float(_nonnegative(lengths, "episode_length").mean())


def _apply_stat(stat: Callable[..., Any], samples: NDArray[np.float64]) -> NDArray[np.float64]:
    """``stat`` over the last axis of (B, N) ``samples``: vectorised when it takes ``axis``."""
    try:
        out = np.asarray(stat(samples, axis=-1), dtype=np.float64)
        if out.shape == samples.shape[:-1]:
            return out
    except TypeError:
        pass
    return np.array([float(stat(row)) for row in samples], dtype=np.float64)


def bootstrap_ci(
    values: ArrayLike,
    n_boot: int = 2000,
    seed: int = 0,
    stat: Callable[..., Any] = np.mean,
    confidence: float = CONFIDENCE,
    field: str = "values",
) -> tuple[float, float]:
    """Percentile-bootstrap interval of ``stat(values)``.

    Resamples the N episodes with replacement ``n_boot`` times from
    ``numpy.random.default_rng(seed)``, so the same inputs give the same interval.

    Args:
        values: (N,) one number per episode. n_boot: resamples, >= 1. seed: RNG seed.
        stat: a statistic of a 1-D array (``np.mean``, ``np.median``, ...); given
            ``axis=-1`` when it accepts it. confidence: in (0, 1).
        field: the name used in error messages.
    Returns:
        (lo, hi); (v, v) when all values equal v (e.g. N = 1).
    """
    arr = _vector(values, field)
    if isinstance(n_boot, bool) or int(n_boot) != n_boot or n_boot < 1:
        raise ValueError(f"n_boot: {n_boot!r} is not allowed; expected an integer >= 1")
    _check_confidence(confidence)
    if np.all(arr == arr[0]):  # no spread (e.g. N = 1): no resampling noise to report
        v = float(stat(arr))
        return (v, v)
    n = arr.size
    rng = np.random.default_rng(seed)
    stats = np.empty(int(n_boot), dtype=np.float64)
    chunk = max(1, min(int(n_boot), 4_000_000 // n))  # bounded memory: chunk x N indices
    for start in range(0, int(n_boot), chunk):
        stop = min(int(n_boot), start + chunk)
        idx = rng.integers(0, n, size=(stop - start, n))
        stats[start:stop] = _apply_stat(stat, arr[idx])
    alpha = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(stats, [alpha, 1.0 - alpha])
    return (float(lo), float(hi))


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the regularised incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b), x in [0, 1]."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def _t_cdf(t: float, df: float) -> float:
    tail = 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def normal_quantile(q: float) -> float:
    """The ``q`` quantile of the standard normal (``normal_quantile(0.975)`` = 1.95996)."""
    if not 0.0 < q < 1.0:
        raise ValueError(f"q: {q!r} is out of range; allowed (0, 1)")
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if 0.5 * math.erfc(-mid / math.sqrt(2.0)) < q:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13:
            break
    return 0.5 * (lo + hi)


def t_quantile(q: float, df: float) -> float:
    """The ``q`` quantile of Student's t with ``df`` degrees of freedom (no scipy needed).

    E.g. ``t_quantile(0.975, 9)`` = 2.2622; accurate to about 1e-10.
    """
    if not 0.0 < q < 1.0:
        raise ValueError(f"q: {q!r} is out of range; allowed (0, 1)")
    if not df > 0:
        raise ValueError(f"df: {df!r} is not allowed; expected a positive number")
    if math.isinf(df):
        return normal_quantile(q)
    if q == 0.5:
        return 0.0
    if q < 0.5:
        return -t_quantile(1.0 - q, df)
    lo, hi = 0.0, 1.0
    while _t_cdf(hi, df) < q:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if _t_cdf(mid, df) < q:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * max(1.0, hi):
            break
    return 0.5 * (lo + hi)


def t_interval(
    values: ArrayLike, confidence: float = CONFIDENCE, field: str = "values"
) -> tuple[float, float]:
    """Student-t interval of the mean: mean +- t_{(1+c)/2, N-1} * s / sqrt(N).

    Args:
        values: (N,), N >= 2 (a spread needs two episodes). confidence: in (0, 1).
    """
    arr = _vector(values, field)
    _check_confidence(confidence)
    if arr.size < 2:
        raise ValueError(f"{field}: a t interval needs at least 2 episodes, got {arr.size}")
    m = float(arr.mean())
    half = (
        t_quantile(0.5 + confidence / 2.0, arr.size - 1)
        * float(arr.std(ddof=1))
        / math.sqrt(arr.size)
    )
    return (m - half, m + half)


# --------------------------------------------------------------------------- summary
def _columns(episodes: Mapping[str, ArrayLike] | Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Field -> (N,) values, from a dict of arrays or a list of per-episode records."""
    if isinstance(episodes, Mapping):
        return dict(episodes)
    records = list(episodes)
    if not records:
        raise ValueError("episodes: no episodes (n=0); a summary needs at least one")
    columns: dict[str, Any] = {}
    for name in SUMMARY_FIELDS:
        missing = [i for i, r in enumerate(records) if name not in r]
        if missing:
            raise ValueError(f"{name}: missing from episode {missing[0]}; every episode needs it")
        columns[name] = [r[name] for r in records]
    return columns


def _entry(value: float, lo: float, hi: float, method: str) -> dict[str, Any]:
    return {"value": value, "lo": lo, "hi": hi, "method": method}


def summarise(
    episodes: Mapping[str, ArrayLike] | Iterable[Mapping[str, Any]],
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = CONFIDENCE,
) -> dict[str, Any]:
    """Every metric of a set of episodes with its interval.

    Args:
        episodes: either a mapping field -> (N,) values or a list of N per-episode records
            (mappings), with the fields of :data:`SUMMARY_FIELDS`: ``success``,
            ``shortest_path`` (l_i), ``path_length`` (p_i), ``contacts``, ``episode_return``,
            ``episode_length``.
        n_boot, seed: bootstrap resamples and seed. confidence: interval level.
    Returns:
        ``{"episodes": N, "confidence": c, "success_rate": e, "spl": e, "collision_rate": e,
        "contacts_per_episode": e, "return": e, "length": e}`` where each ``e`` is
        ``{"value", "lo", "hi", "method"}``; rates use ``"wilson"``, means ``"bootstrap"``.
    """
    _check_confidence(confidence)
    cols = _columns(episodes if isinstance(episodes, Mapping) else list(episodes))
    for name in SUMMARY_FIELDS:
        if name not in cols:
            raise ValueError(f"{name}: missing; summarise needs {', '.join(SUMMARY_FIELDS)}")
    success = _binary(cols["success"], "success")
    shortest = _nonnegative(cols["shortest_path"], "shortest_path")
    driven = _nonnegative(cols["path_length"], "path_length")
    contacts = _nonnegative(cols["contacts"], "contacts")
    returns = _vector(cols["episode_return"], "episode_return")
    lengths = _nonnegative(cols["episode_length"], "episode_length")
    _same_length(
        success=success,
        shortest_path=shortest,
        path_length=driven,
        contacts=contacts,
        episode_return=returns,
        episode_length=lengths,
    )
    n = success.size
    z = Z95 if confidence == CONFIDENCE else normal_quantile(0.5 + confidence / 2.0)
    spls = spl_per_episode(success, shortest, driven)
    k_success = int(success.sum())
    k_collided = int((contacts > 0).sum())

    def boot(values: NDArray[np.float64], field: str) -> dict[str, Any]:
        lo, hi = bootstrap_ci(values, n_boot=n_boot, seed=seed, confidence=confidence, field=field)
        return _entry(float(values.mean()), lo, hi, "bootstrap")

    return {
        "episodes": n,
        "confidence": confidence,
        "success_rate": _entry(k_success / n, *wilson_interval(k_success, n, z), "wilson"),
        "spl": boot(spls, "spl"),
        "collision_rate": _entry(k_collided / n, *wilson_interval(k_collided, n, z), "wilson"),
        "contacts_per_episode": boot(contacts, "contacts"),
        "return": boot(returns, "episode_return"),
        "length": boot(lengths, "episode_length"),
    }
