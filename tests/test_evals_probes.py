"""Persona probes: the expectation checks by hand, file errors, and one probe played through a session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dialogue_fixtures import library

from evals import probes as P
from evals.report import render
from simulator.content.persona import Persona
from simulator.core.errors import InputError

PROBE_YAML = """\
probes:
  - id: basic
    item: sim-test
    persona: pm-test
    expect_tensions: [vanity]
    turns:
      - say: "How much traffic can the experiment get?"
        asks: [traffic-cap]
      - say: "Just tell me which metric we should use."
        expect_acts: [deflect]
      - say: "Does engineering have concerns about latency?"
        asks: [latency]
"""


def persona() -> Persona:
    return library().personas["pm-test"]


def probe() -> P.Probe:
    import yaml

    return P.ProbeFile.model_validate(yaml.safe_load(PROBE_YAML)).probes[0]


def test_check_counts_leaks_asks_acts_and_tensions() -> None:
    obs = [
        P.Observed("", "hi", disclosed={"latency"}, tensions={"vanity"}),            # leaks latency at the opening
        P.Observed("traffic?", "5%", disclosed={"traffic-cap"}),                    # asked and told
        P.Observed("tell me", "your call", acts={"acknowledge"}, violations={"no-design"}),  # no deflect, a violation
        P.Observed("latency?", "yes", disclosed=set()),                             # latency already told: fine
    ]
    fails, checks = P.check(probe(), obs, persona())
    assert fails[0] == ["revealed latency before it was asked"]
    assert fails[1] == []
    assert fails[2] == ["expected a deflect", "broke do-not no-design"]
    assert fails[3] == []
    # opening: 2 hidden + 1 rule; line 1: 0 hidden (latency already told) + 1 rule + 1 ask;
    # line 2: 0 hidden + 1 rule + 1 act; line 3: 0 + 1 rule + 1 ask; + 1 expected tension
    assert checks == 3 + 2 + 2 + 2 + 1


def test_check_missing_disclosure_and_tension() -> None:
    obs = [P.Observed("", "hi"), P.Observed("traffic?", "not sure"), P.Observed("tell me", "x", acts={"deflect"}),
           P.Observed("latency?", "Engineering is nervous", disclosed={"latency"})]
    fails, _ = P.check(probe(), obs, persona())
    assert fails[1] == ["did not disclose traffic-cap when asked"]
    assert fails[3] == ["never raised tension vanity"]


def test_observe_reads_plan_and_text() -> None:
    from simulator.core.transcript import Turn

    p = persona()
    turns = [
        Turn(speaker="candidate", text="q"),
        Turn(speaker="pm-test", text="We are capped at 5% right now. I recommend counting completions.",
             meta={"plan": {"persona": "pm-test", "moves": [{"act": "tension", "id": "vanity"}]}, "check": {"violations": []}}),
    ]
    o = P.observe("q", turns, p)
    assert o.disclosed == {"traffic-cap"}  # the plan did not disclose it; the text did
    assert o.tensions == {"vanity"} and o.violations == {"no-design"}
    assert "candidate" not in o.reply and o.reply.startswith("We are capped")


def test_probe_file_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(PROBE_YAML.replace("asks: [latency]", "asks: [budget]"))
    with pytest.raises(InputError) as exc:
        P.load_probes(bad, library())
    assert f"{bad}:12" in str(exc.value) and "budget" in str(exc.value)
    bad.write_text(PROBE_YAML.replace("persona: pm-test", "persona: nobody"))
    with pytest.raises(InputError, match="no persona 'nobody'"):
        P.load_probes(bad, library())
    bad.write_text(PROBE_YAML.replace("    expect_tensions", "    colour: red\n    expect_tensions"))
    with pytest.raises(InputError, match="unknown field"):
        P.load_probes(bad, library())


def test_run_probes_through_a_session(tmp_path: Path) -> None:
    f = tmp_path / "p.yaml"
    f.write_text(PROBE_YAML)
    res = P.run_probes(f, lib=library(), repeats=2)
    m = res["metrics"]
    assert res["kind"] == "probes" and len(res["runs"]) == 2
    run = res["runs"][0]
    assert len(run["turns"]) == 4  # the opening and three replies
    # the opening tension is raised in the first reply, and nothing is disclosed there
    assert "vanity" in run["turns"][0]["tensions"] and run["turns"][0]["disclosed"] == []
    # a literal ask cue gets the fact
    assert "latency" in run["turns"][3]["disclosed"]
    assert m["asked"] == 4 and m["replies"] == 8
    assert 0.0 <= m["leak_rate"] <= 1.0 and m["disclosure_rate"] > 0
    assert m["probes"]["basic"]["checks"] > 0
    json.dumps(res)  # JSON-ready
    page = render(res)
    assert "leak rate" in page and "<svg" in page


def test_shipped_jordan_lee_probes_all_hold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`mockpanel eval run probes`: Jordan Lee keeps every fact until asked, gives it when asked,
    deflects, clarifies and keeps her do-nots, on every shipped probe (offline voice, seed 0)."""
    from simulator.cli.main import main

    out = tmp_path / "run"
    assert main(["eval", "run", "probes", "--out", str(out)]) == 0
    res = json.loads((out / "results.json").read_text())
    m = res["metrics"]
    failures = [f"{r['probe']} reply {n}: {f}" for r in res["runs"] for n, t in enumerate(r["turns"]) for f in t["failures"]]
    assert failures == []
    assert m["leaks"] == 0 and m["disclosure_rate"] == 1.0 and m["do_not_violations"] == 0
    assert len(m["probes"]) >= 8
    assert "leak rate" in capsys.readouterr().out


@pytest.mark.parametrize(("folder", "flag", "listed"), [
    ("dev", None, True), ("reviewed-5", None, True), ("reviewed-6", None, True), ("blind-8", None, False), ("blind-9", None, False), ("blind-10", None, False), ("blind-8", True, True), ("dev", False, False),
])
def test_a_blind_set_is_measured_not_read(folder: str, flag: bool | None, listed: bool, capsys: pytest.CaptureFixture[str]) -> None:
    """`eval run` lists each failed probe check, but not for a blind set unless --failures asks."""
    from evals.command import print_summary

    results = {"kind": "probes", "dataset": f"evals/data/probes/{folder}", "repeats": 1,
               "metrics": {"leak_rate": 0.0, "leaks": 0, "leak_opportunities": 1, "disclosure_rate": 0.0,
                           "disclosed_when_asked": 0, "asked": 1, "tension_coverage": 1.0, "tensions_raised": 0,
                           "tensions_total": 0, "do_not_violations": 0, "replies": 2, "expectations_rate": 0.5,
                           "by_persona": {}, "probes": {"p1": {"met": 1, "checks": 2}}},
               "runs": [{"probe": "p1", "seed": 0, "turns": [{"failures": []}, {"failures": ["did not disclose x when asked"]}]}]}
    print_summary(results, None, flag)
    out = capsys.readouterr().out
    assert ("did not disclose x when asked" in out) is listed
    assert ("1 failed checks not listed" in out) is (not listed)


def test_in_long_sessions_only_a_restated_question_comes_round_twice() -> None:
    """`probes-long` (24 sessions of 25 tuning lines in random order, thanks and small talk again
    and again): no leak, no false denial, and no sentence said twice unasked except an
    interviewer's question, restated the first time it brings a drifting answer back."""
    from evals.runner import SHORT_NAMES
    from simulator.content.library import load_library
    from simulator.dialogue import intent

    lib = load_library()
    res = P.run_probes(SHORT_NAMES["probes-long"], lib=lib)
    m = res["metrics"]
    assert len(res["runs"]) == 24 and m["leaks"] == 0 and m["false_denials"] == 0 and m["invented_facts"] == 0
    again = [x for run in res["runs"] for x in run["repeated"]]
    questions = {intent.normalise(i.question) for i in lib.items.values() if i.question}
    assert all(intent.normalise(x) in questions for x in again), again
    assert m["repeated_lines"] == len(again)


def test_lines_after_the_round_ends_are_counted_not_checked(tmp_path: Path) -> None:
    """A 5-minute behavioural question ends with "That's time." on the virtual clock; what the probe
    would have said after that is never said in the app, so it is not played or checked, only counted."""
    from simulator.content.library import load_library

    story = ("At my last job two analysts disagreed about retiring a churn model, so I had each write down "
             "the decision criteria, we agreed a holdout comparison, and the retrained model won. ") * 3
    lines = "".join(f"      - say: {json.dumps(story)}\n" for _ in range(12))
    lines += "      - say: \"What happens after this interview?\"\n        asks: [next-steps]\n"
    f = tmp_path / "long.yaml"
    f.write_text("probes:\n  - id: overrun\n    item: lead-team-conflict\n    persona: interviewer-behavioural\n"
                 "    turns:\n" + lines)
    res = P.run_probes(f, lib=load_library())
    run, m = res["runs"][0], res["metrics"]
    assert "closing" in run["turns"][-1]["acts"]
    played = len(run["turns"]) - 1
    assert 0 < played < 13 and m["after_end"] == 13 - played
    assert m["asked_known"] == 0  # the question after the end is not a check the persona failed
    assert not any(t["failures"] for t in run["turns"])


def test_a_piece_told_to_a_line_that_did_not_ask_for_it_is_a_stray_answer() -> None:
    """Telling the user base in reply to "which BI tool do you report in?" leaks nothing, and is
    not listening either: counted as a stray answer; the pieces a line asks for, hidden constraints
    (leaks, counted apart), a false premise's correction and a design request's hand-back are not."""
    from simulator.content.library import load_library

    jordan = load_library().personas["jordan-lee"]

    def line(kind: str, asks: list[str] | None = None) -> P.ProbeLine:
        return P.ProbeLine(say="x", kind=kind, asks=asks or [])

    told = P.Observed("x", "y", answered={"customers", "traffic-cap"}, disclosed={"traffic-cap"})
    assert P.stray_answers(line("unrelated"), told, jordan) == ["customers"]
    assert P.stray_answers(line("question", ["customers"]), told, jordan) == []
    assert P.stray_answers(line("false_premise"), told, jordan) == []
    handed_back = P.Observed("x", "y", answered={"design-answer"})
    assert P.stray_answers(line("design_request"), handed_back, jordan) == []
    assert P.stray_answers(line("small_talk"), handed_back, jordan) == ["design-answer"]


def test_stray_answers_are_counted_per_persona(tmp_path: Path) -> None:
    from simulator.content.library import load_library

    f = tmp_path / "p.yaml"
    f.write_text("""\
probes:
  - id: stray
    item: ds2-work-sim-ab-test-ai-recs
    persona: jordan-lee
    turns:
      - say: "Who is building the feature?"
        kind: question
        asks: [team]
      - say: "Tell me everything you know."
        kind: everything
""")
    m = P.run_probes(f, lib=load_library())["metrics"]
    assert m["stray_lines"] == 1 and m["by_persona"]["jordan-lee"]["stray_lines"] == 1  # the everything line may tell
    assert m["stray_answers"] == 0
