"""The evaluator's arithmetic on hand-built episodes: exact values and known intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from training import metrics as m


def test_success_rate() -> None:
    assert m.success_rate([1, 0, 1, 1]) == 0.75
    assert m.success_rate(np.array([True, False])) == 0.5
    with pytest.raises(ValueError, match="success"):
        m.success_rate([1, 2])


def test_spl_exact_with_shorter_paths_failures_and_zero_length() -> None:
    success = [1, 1, 0, 1, 1]
    shortest = [2.0, 2.0, 3.0, 0.0, 4.0]  # l_i
    driven = [4.0, 1.0, 3.0, 0.0, 5.0]  # p_i: longer, shorter than l, failed, at goal, longer
    per = m.spl_per_episode(success, shortest, driven)
    np.testing.assert_allclose(per, [0.5, 1.0, 0.0, 1.0, 0.8])
    assert m.spl(success, shortest, driven) == pytest.approx(3.3 / 5)
    # a failure scores 0 however short the path
    assert m.spl([0], [5.0], [5.0]) == 0.0
    # l_i = 0 but drove around: S_i * 0 / p -> 0
    assert m.spl([1], [0.0], [2.0]) == 0.0


def test_spl_rejects_bad_inputs_naming_the_field() -> None:
    with pytest.raises(ValueError, match="driven"):
        m.spl([1], [1.0], [-0.1])
    with pytest.raises(ValueError, match="shortest"):
        m.spl([1], [math.nan], [1.0])
    with pytest.raises(ValueError, match="lengths differ"):
        m.spl([1, 0], [1.0], [1.0])
    with pytest.raises(ValueError, match=r"success: no episodes \(n=0\)"):
        m.spl([], [], [])


def test_wilson_known_values() -> None:
    lo, hi = m.wilson_interval(8, 10)
    assert lo == pytest.approx(0.4902, abs=5e-4)
    assert hi == pytest.approx(0.9433, abs=5e-4)
    lo, hi = m.wilson_interval(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=5e-4)
    lo, hi = m.wilson_interval(10, 10)
    assert hi == 1.0 and lo == pytest.approx(0.7225, abs=5e-4)
    lo, hi = m.wilson_interval(50, 100)
    assert (lo, hi) == pytest.approx((0.4038, 0.5962), abs=5e-4)
    # symmetric: k successes <-> n-k failures
    a = m.wilson_interval(3, 17)
    b = m.wilson_interval(14, 17)
    assert a == pytest.approx((1 - b[1], 1 - b[0]))


def test_wilson_errors() -> None:
    with pytest.raises(ValueError, match="n:"):
        m.wilson_interval(0, 0)
    with pytest.raises(ValueError, match="k:"):
        m.wilson_interval(11, 10)


def test_bootstrap_contains_mean_and_is_deterministic() -> None:
    values = np.random.default_rng(1).exponential(2.0, 200)
    ci = m.bootstrap_ci(values, seed=7)
    assert ci[0] < values.mean() < ci[1]
    assert ci == m.bootstrap_ci(values, seed=7)
    assert ci != m.bootstrap_ci(values, seed=8)
    # roughly the normal-theory width
    se = values.std(ddof=1) / math.sqrt(values.size)
    assert ci[1] - ci[0] == pytest.approx(2 * 1.96 * se, rel=0.2)
    # another statistic, vectorised or not
    med = m.bootstrap_ci(values, stat=np.median)
    assert med[0] <= np.median(values) <= med[1]
    assert m.bootstrap_ci(values, stat=lambda x: float(np.max(x)), n_boot=50)[1] == values.max()


def test_bootstrap_edge_cases() -> None:
    assert m.bootstrap_ci([3.0]) == (3.0, 3.0)
    assert m.bootstrap_ci([2.0, 2.0, 2.0]) == (2.0, 2.0)
    with pytest.raises(ValueError, match=r"episode_return: no episodes"):
        m.bootstrap_ci([], field="episode_return")
    with pytest.raises(ValueError, match="n_boot"):
        m.bootstrap_ci([1.0, 2.0], n_boot=0)


def test_t_quantile_and_interval() -> None:
    assert m.t_quantile(0.975, 9) == pytest.approx(2.262157, abs=1e-5)
    assert m.t_quantile(0.975, 1) == pytest.approx(12.706205, abs=1e-5)
    assert m.t_quantile(0.975, 30) == pytest.approx(2.042272, abs=1e-5)
    assert m.t_quantile(0.025, 5) == pytest.approx(-2.570582, abs=1e-5)
    assert m.t_quantile(0.975, math.inf) == pytest.approx(1.959964, abs=1e-6)
    lo, hi = m.t_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    half = 2.776445 * math.sqrt(2.5) / math.sqrt(5)
    assert (lo, hi) == pytest.approx((3 - half, 3 + half), abs=1e-5)
    with pytest.raises(ValueError, match="at least 2"):
        m.t_interval([1.0])


def test_collisions_and_means() -> None:
    contacts = [0, 3, 0, 1]
    assert m.collision_rate(contacts) == 0.5
    assert m.mean_contacts(contacts) == 1.0
    assert m.mean_return([1.0, -2.0, 4.0]) == 1.0
    assert m.mean_length([10, 20]) == 15.0
    with pytest.raises(ValueError, match="contacts"):
        m.collision_rate([])


def _records() -> list[dict[str, float]]:
    rows = [
        # success, l, p, contacts, return, length
        (1, 2.0, 4.0, 0, 10.0, 40),
        (1, 2.0, 1.0, 2, 12.0, 20),
        (0, 3.0, 3.0, 5, -3.0, 300),
        (1, 4.0, 5.0, 0, 11.0, 50),
    ]
    keys = (
        "success",
        "shortest_path",
        "path_length",
        "contacts",
        "episode_return",
        "episode_length",
    )
    return [dict(zip(keys, r, strict=True)) for r in rows]


def test_summarise_records_and_columns_agree() -> None:
    recs = _records()
    s = m.summarise(recs)
    assert s["episodes"] == 4
    assert s["success_rate"]["value"] == 0.75
    assert (s["success_rate"]["lo"], s["success_rate"]["hi"]) == m.wilson_interval(3, 4)
    assert s["success_rate"]["method"] == "wilson"
    assert s["spl"]["value"] == pytest.approx((0.5 + 1.0 + 0.0 + 0.8) / 4)
    assert s["collision_rate"]["value"] == 0.5
    assert s["contacts_per_episode"]["value"] == 1.75
    assert s["return"]["value"] == 7.5
    assert s["length"]["value"] == 102.5
    for key in ("spl", "contacts_per_episode", "return", "length"):
        e = s[key]
        assert e["method"] == "bootstrap" and e["lo"] <= e["value"] <= e["hi"]
    cols = {k: [r[k] for r in recs] for k in recs[0]}
    assert m.summarise(cols) == s


def test_summarise_errors_name_the_field() -> None:
    with pytest.raises(ValueError, match=r"episodes: no episodes \(n=0\)"):
        m.summarise([])
    recs = _records()
    del recs[2]["path_length"]
    with pytest.raises(ValueError, match="path_length: missing from episode 2"):
        m.summarise(recs)
    cols = {k: [r[k] for r in _records()] for k in _records()[0]}
    cols["episode_length"] = cols["episode_length"][:3]
    with pytest.raises(ValueError, match="lengths differ"):
        m.summarise(cols)
    cols = {k: [] for k in _records()[0]}
    with pytest.raises(ValueError, match=r"success: no episodes \(n=0\)"):
        m.summarise(cols)
