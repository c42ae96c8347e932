"""Metric functions against values worked out by hand (and textbook kappa examples)."""

from __future__ import annotations

import pytest

from evals import metrics as M


def test_prf_hand_counts() -> None:
    gold = [True, True, True, False, False, False]
    pred = [True, True, False, True, False, False]
    s = M.prf(gold, pred)
    assert (s.tp, s.fp, s.fn, s.tn) == (2, 1, 1, 2)
    assert s.precision == pytest.approx(2 / 3)
    assert s.recall == pytest.approx(2 / 3)
    assert s.f1 == pytest.approx(2 / 3)
    assert s.accuracy == pytest.approx(4 / 6)


def test_prf_edge_cases() -> None:
    # nothing to find, nothing claimed: perfect
    assert M.prf([False, False], [False, False]).f1 == 1.0
    # something to find, nothing claimed: precision 0, recall 0
    s = M.prf([True, False], [False, False])
    assert (s.precision, s.recall, s.f1) == (0.0, 0.0, 0.0)
    # nothing to find, something claimed: recall undefined -> 0, f1 0
    s = M.prf([False, False], [True, False])
    assert (s.precision, s.recall, s.f1) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError):
        M.prf([True], [True, False])


def test_macro_is_unweighted_mean_and_micro_pools() -> None:
    per = M.per_key_prf([
        ("a", True, True), ("a", True, True), ("a", False, False), ("a", True, True),  # f1 1.0
        ("b", True, False), ("b", False, True),                                          # f1 0.0
    ])
    assert per["a"].f1 == 1.0 and per["b"].f1 == 0.0
    assert M.macro_f1(per) == pytest.approx(0.5)
    # an indicator never present and never predicted does not move the average
    per["c"] = M.prf([False, False], [False, False])
    assert not per["c"].defined and M.macro_f1(per) == pytest.approx(0.5)
    assert M.macro_f1({"c": per["c"]}) == 1.0 and M.macro_f1({}) == 0.0
    mic = M.micro(per)
    assert (mic.tp, mic.fp, mic.fn) == (3, 1, 1)
    assert mic.f1 == pytest.approx(6 / 8)


def test_cohen_kappa_wikipedia_examples() -> None:
    # 50 proposals: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no -> kappa 0.4
    a = ["y"] * 25 + ["n"] * 25
    b = ["y"] * 20 + ["n"] * 5 + ["y"] * 10 + ["n"] * 15
    assert M.cohen_kappa(a, b, labels=["y", "n"]) == pytest.approx(0.4)
    # 45 / 15 / 25 / 15: p_o = 0.6, p_e = 0.54 -> 0.1304
    a = ["y"] * 60 + ["n"] * 40
    b = ["y"] * 45 + ["n"] * 15 + ["y"] * 25 + ["n"] * 15
    assert M.cohen_kappa(a, b, labels=["y", "n"]) == pytest.approx(0.06 / 0.46)


def test_kappa_perfect_and_chance_and_undefined() -> None:
    r = ["below", "meets", "exceeds", "meets"]
    assert M.cohen_kappa(r, r) == 1.0
    assert M.quadratic_kappa(r, r) == 1.0
    # both always say "meets": chance agreement is total; defined as 1.0 when they agree
    assert M.cohen_kappa(["meets"] * 3, ["meets"] * 3) == 1.0
    # systematic disagreement is below zero
    assert M.cohen_kappa(["below", "exceeds"], ["exceeds", "below"]) == pytest.approx(-1.0)
    with pytest.raises(ValueError):
        M.cohen_kappa(["great"], ["meets"])


def test_quadratic_kappa_by_hand() -> None:
    # weights (|i-j|/2)^2 -> 0, .25, 1; observed disagreement .25/3; expected 2.25/9 -> 1 - (1/12)/(1/4) = 2/3
    a = ["below", "meets", "exceeds"]
    b = ["meets", "meets", "exceeds"]
    assert M.quadratic_kappa(a, b) == pytest.approx(2 / 3)
    # unweighted on the same data: p_o = 2/3, p_e = (0 + 2 + 1)/9 = 1/3 -> 0.5
    assert M.cohen_kappa(a, b) == pytest.approx(0.5)
    # an off-by-two error costs more than an off-by-one under quadratic weights
    near = M.quadratic_kappa(["below", "meets", "exceeds", "meets"], ["meets", "meets", "exceeds", "meets"])
    far = M.quadratic_kappa(["below", "meets", "exceeds", "meets"], ["exceeds", "meets", "exceeds", "meets"])
    assert near > far


def test_confusion_and_extreme_errors() -> None:
    gold = ["exceeds", "below", "meets", "below"]
    pred = ["below", "below", "exceeds", "exceeds"]
    assert M.confusion(gold, pred) == [[1, 0, 1], [0, 0, 1], [1, 0, 0]]
    assert M.extreme_error_rate(gold, pred) == pytest.approx(0.5)
    assert M.exact_agreement(gold, pred) == pytest.approx(0.25)


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    gold = ["below", "meets", "exceeds"] * 10
    pred = ["below", "meets", "meets"] * 10
    ci1 = M.bootstrap_ci(M.exact_agreement, gold, pred, n=300, seed=7)
    ci2 = M.bootstrap_ci(M.exact_agreement, gold, pred, n=300, seed=7)
    assert ci1 == ci2
    assert ci1[0] <= 2 / 3 <= ci1[1]
    assert ci1[0] < ci1[1]
    # a constant statistic has a zero-width interval
    assert M.bootstrap_ci(lambda g: 0.5, gold, n=50) == (0.5, 0.5)


def test_verbatim_flip_majority_and_pass_rates() -> None:
    sources = ["I  interviewed the sales team first.", "Then we tracked weekly usage."]
    assert M.is_verbatim("interviewed the Sales team", sources)
    assert not M.is_verbatim("interviewed the finance team", sources)
    assert not M.is_verbatim("   ", sources)
    assert M.verbatim_rate(["tracked weekly usage", "made it up"], sources) == 0.5
    assert M.verbatim_rate([], sources) == 1.0
    assert M.flip_rate([["meets", "meets"], ["meets", "below"], ["exceeds"]]) == 0.5
    assert M.majority(["meets", "below", "below"]) == "below"
    assert M.majority(["meets", "below"]) == "meets"  # tie: the first repeat
    rates = M.pass_rate_by([("buzzword", True), ("buzzword", False), ("injection", True)])
    assert rates["buzzword"].rate == 0.5 and rates["injection"].to_dict() == {"passed": 1, "total": 1, "rate": 1.0}


def test_persona_scores_by_hand() -> None:
    T = M.ProbeTurn
    f = frozenset
    probe1 = [
        T(asked=f(), disclosed=f({"traffic-cap"}), tensions=f({"completions"})),       # leak of traffic-cap
        T(asked=f({"latency"}), disclosed=f({"latency"})),                             # asked and told
        T(asked=f({"latency", "variance"}), disclosed=f(), violations=f({"suggest-design"})),  # asked, not told
    ]
    probe2 = [
        T(asked=f({"traffic-cap"}), disclosed=f({"traffic-cap"}), tensions=f({"completions", "timeline"})),
    ]
    s = M.persona_scores([probe1, probe2], ["traffic-cap", "latency", "variance"], ["completions", "network", "timeline"])
    # opportunities: probe1 traffic-cap (never asked, 3 replies), latency (1 before), variance (2 before);
    # probe2: latency and variance never asked (1 reply each); traffic-cap asked at once (no opportunity)
    assert (s.leaks, s.leak_opportunities) == (1, 5)
    assert s.leak_rate == pytest.approx(0.2)
    # asked: probe1 latency (told), variance (not told); probe2 traffic-cap (told)
    assert (s.disclosed_when_asked, s.asked) == (2, 3)
    assert (s.tensions_raised, s.tensions_total) == (3, 6)
    assert s.do_not_violations == 1 and s.replies == 4
    # a wider window forgives a late disclosure
    late = [T(asked=f({"x"}), disclosed=f()), T(asked=f({"x"}), disclosed=f({"x"}))]
    assert M.persona_scores([late], ["x"], [], disclose_within=1).disclosure_rate == 0.0
    assert M.persona_scores([late], ["x"], [], disclose_within=2).disclosure_rate == 1.0


def test_summary_quantiles() -> None:
    s = M.summary([1.0, 2.0, 3.0, 4.0, 10.0])
    assert s["mean"] == pytest.approx(4.0)
    assert s["median"] == 3.0
    assert s["p90"] == pytest.approx(4.0 + 0.6 * 6.0)
    assert s["total"] == 20.0
    assert M.summary([])["n"] == 0
