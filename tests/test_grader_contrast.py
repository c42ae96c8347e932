"""Negative indicators on the shipped rubrics: a good answer on the same topic never fires one.

Each negative has "contrast" phrasings: sentences a strong candidate says about the same topic
(asking what a vague goal means, saying the duration may be too short, validating the AI's
pipeline). They must not fire the negative. A few plain statements of the bad behaviour must
still fire it, so the rule cannot pass by never firing anything.
"""

from __future__ import annotations

import pytest

from simulator.content.library import Library, load_library
from simulator.core.transcript import Transcript
from simulator.grading.semantic import verdicts

WS = ("ds2-work-sim-ab-test-ai-recs", None)
CT_AI = ("ds2-coding-churn-model", "with_ai")
CT = ("ds2-coding-churn-model", "without_ai")
PR = ("ds2-presentation-ambiguous-metrics", None)
AC = ("ds2-accountability-production-model", None)
DB = ("ds2-dashboard-design", None)

# (item, variant), negative id, what a good candidate says on the same topic
CONTRAST: list[tuple[tuple[str, str | None], str, str]] = [
    (WS, "accepts-vague-metrics", "What do we mean by productivity?"),
    (WS, "accepts-vague-metrics", "Productivity is too vague to test, so I'd pin it down as accepted suggestions per active coding hour."),
    (WS, "accepts-vague-metrics", "Counting completions would reward spammy suggestions, so I'd use suggestions kept after a day instead."),
    (WS, "ignores-traffic-latency-variance", "Two weeks may be too short if usage is noisy."),
    (WS, "ignores-traffic-latency-variance", "With only 5% of traffic, two weeks probably won't give us enough power."),
    (WS, "ignores-traffic-latency-variance", "We need to account for the variance in session length when we size the test."),
    (WS, "ignores-traffic-latency-variance", "I'd watch p95 latency as a guardrail, because a slow suggestion is worse than none."),
    (WS, "naive-randomization", "Randomising individual users would leak suggestions between teammates, so I'd randomise by team."),
    (WS, "naive-randomization", "I'd assign whole teams to one arm so shared code doesn't contaminate the control group."),
    (WS, "no-stopping-rules", "Before we launch I'd write down the stopping rule and the minimum lift we would ship."),
    (WS, "no-stopping-rules", "Peeking at the dashboard every day inflates false positives, so I'd use a sequential test with fixed checkpoints."),
    (CT, "accuracy-on-imbalanced", "I'd use PR-AUC and calibration, since churn is rare."),
    (CT, "accuracy-on-imbalanced", "Accuracy would be misleading here because only about 5% of accounts churn."),
    (CT, "accuracy-on-imbalanced", "I'd report precision at the top 10% of scores rather than accuracy."),
    (CT, "vague-target-lookahead", "I'd define churn as no session in the 30 days after the prediction date."),
    (CT, "vague-target-lookahead", "Days until cancellation is only known after the user churns, so it would leak the label and I left it out."),
    (CT, "ignores-feature-latency", "Every feature has to be ready before the nightly scoring run, so I only use daily aggregates."),
    (CT, "ignores-feature-latency", "I'd only use features available in the warehouse by midnight."),
    (CT, "no-impact-plan", "After launch I'd keep a random holdout with no outreach and compare churn against the treated accounts."),
    (CT, "no-impact-plan", "AUC is only a proxy, so I'd measure retained revenue with an A/B test after deployment."),
    (CT_AI, "ai-pipeline-unvalidated", "To validate the AI's pipeline structure I wrote a test that fails if any feature timestamp is after the cutoff."),
    (CT_AI, "ai-pipeline-unvalidated", "I had the assistant generate the boilerplate for the pipeline class, but I decided the structure myself."),
    (CT_AI, "ai-pipeline-unvalidated", "The generated code fitted the scaler before the split, so I moved it inside the cross-validation folds."),
    (CT_AI, "ai-features-unchecked", "I checked each feature the assistant suggested against the prediction date and dropped two that leak."),
    (CT_AI, "ai-metrics-no-context", "The assistant suggested accuracy, but with 5% churners that's misleading, so I switched to precision at the top k."),
    (CT_AI, "ai-assumptions-uncritiqued", "The assistant assumed churn is monthly, but our customers are on annual plans, so I changed the window."),
    (PR, "unclear-guardrails", "We set a guardrail that checkout completion could not drop more than one point, and the dashboard alerted the PM if it did."),
    (PR, "no-iteration", "When the requirements changed we revisited the metric with the PM and moved to a weekly definition."),
    (PR, "ignores-engineering-friction", "Engineering couldn't log events client-side, so we agreed on a server-side proxy they could ship in a sprint."),
    (PR, "metrics-without-rationale", "I chose activation because it was the earliest signal that predicted retention, and the PM agreed after we reviewed it."),
    (AC, "waits-for-others", "I'd have alerts on drift so I find out before the business does."),
    (AC, "ignores-dips", "Even a two-point dip is worth a look, because small drops often mean an upstream feed changed."),
    (AC, "tweaks-results", "I wouldn't touch the numbers; I'd roll back to the last good model and find the root cause."),
    (DB, "built-in-isolation", "I showed a mock-up to the support managers and changed the layout based on their feedback."),
    (DB, "no-usage-follow-up", "A month after launch I checked which charts people actually opened."),
    (DB, "overly-technical", "I replaced the regression table with one trend line and a plain-English headline."),
]

# (item, variant), negative id, a plain statement of the bad behaviour: it must still fire
FIRES: list[tuple[tuple[str, str | None], str, str]] = [
    (WS, "accepts-vague-metrics", "Let's just measure productivity overall and see if it goes up."),
    (WS, "ignores-traffic-latency-variance", "The traffic cap doesn't matter, two weeks will be plenty."),
    (WS, "naive-randomization", "I'd just randomly split individual users fifty-fifty, the usual way."),
    (WS, "no-stopping-rules", "We'll check the dashboard every day and ship once it looks significant."),
    (CT, "accuracy-on-imbalanced", "I'd just optimise accuracy, since everyone understands it."),
    (CT_AI, "ai-pipeline-unvalidated", "The assistant wrote the pipeline and it runs, so I used it as is."),
    (CT_AI, "ai-features-unchecked", "I added every feature the assistant suggested without checking them."),
    (AC, "waits-for-others", "I'd wait until the business team tells me something is wrong."),
    (DB, "built-in-isolation", "I built it from the ticket on my own and handed it over when it was done."),
]

INTERVIEWER = "Tell me how you would approach it."


@pytest.fixture(scope="module")
def lib() -> Library:
    return load_library()


def _fired(lib: Library, where: tuple[str, str | None], neg: str, text: str) -> bool | None:
    item_id, variant = where
    item = lib.items[item_id]
    t = Transcript.model_validate({"item": item_id, "variant": variant, "turns": [
        {"speaker": "interviewer", "text": INTERVIEWER}, {"speaker": "candidate", "text": text}]})
    vs, _ = verdicts(t, item)
    by_id = {v.id: v for v in vs}
    assert by_id[neg].polarity == "negative", neg
    return by_id[neg].present


@pytest.mark.parametrize(("where", "neg", "text"), CONTRAST, ids=[f"{n}:{t[:40]}" for _, n, t in CONTRAST])
def test_a_good_answer_on_the_same_topic_does_not_fire_the_negative(lib: Library, where: tuple[str, str | None],
                                                                    neg: str, text: str) -> None:
    assert _fired(lib, where, neg, text) is not True


@pytest.mark.parametrize(("where", "neg", "text"), FIRES, ids=[f"{n}:{t[:40]}" for _, n, t in FIRES])
def test_the_bad_behaviour_itself_still_fires(lib: Library, where: tuple[str, str | None], neg: str, text: str) -> None:
    assert _fired(lib, where, neg, text) is True
