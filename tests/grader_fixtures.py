"""A small item built in code for the grader tests, so they do not depend on the shipped YAML.

The wording follows the hiring kit's A/B-testing work simulation; the cues are the kind of
candidate-voice sentences the rubric files carry.
"""

from __future__ import annotations

from typing import Any

from simulator.content.rubric import Item
from simulator.core.transcript import Transcript

ITEM = Item.model_validate({
    "id": "test-ab-sim", "kind": "work_simulation", "title": "A/B test for code recommendations",
    "question": "Design the experiment for the AI code recommendation pilot with Jordan, the PM.",
    "round": "work-simulation", "level": "mid", "personas": ["jordan-lee"],
    "reference_answer": (
        "Turn 'productivity' into accepted suggestions per active coding hour as the primary metric, "
        "with p95 IDE latency and suggestion dismissals as guardrails. Randomise by team, not by user, "
        "because suggestions spread through shared code. With a 5% traffic cap and high variance in "
        "session length, compute the sample size for the smallest lift worth shipping and run about four "
        "weeks. Ramp 1% to 5% with sequential monitoring and pre-registered stopping rules."
    ),
    "reference_source": "authored",
    "anchors": {
        "exceeds": {"text": "Rigorously deconstructs vague goals into a statistically sound experiment design.", "source": "seed"},
        "meets": {"text": "Defines clear primary and guardrail metrics and a reasonable duration.", "source": "seed"},
        "below": {"text": "Relies on vanity metrics or ignores constraints.", "source": "seed"},
    },
    "indicators": [
        {"id": "operationalise-metrics", "polarity": "positive", "source": "seed",
         "text": "Asks targeted questions to operationalize vague goals into measurable primary and guardrail metrics",
         "cues": [
             "What exactly do we mean by productivity, and can we measure it as accepted suggestions per active hour?",
             "I'd make suggestion acceptance rate the primary metric and keep p95 latency and error rate as guardrails.",
             "Before we pick a metric, what behaviour would tell us developers are actually more productive?",
         ]},
        {"id": "interference", "polarity": "positive", "source": "seed",
         "text": "Identifies interference, contamination, or network effect risks and proposes structural mitigations",
         "cues": [
             "Developers on the same team share code, so I'd randomise by team rather than by user to avoid contamination.",
             "Recommendations can spread between teammates, which is a network effect, so cluster randomisation makes sense.",
         ]},
        {"id": "power", "polarity": "positive", "source": "seed",
         "text": "Calculates or discusses sample size, duration, and statistical power realistically given traffic constraints",
         "cues": [
             "With only 5% of traffic and high variance in session length, two weeks won't give us enough power, we need about four weeks.",
             "Let me work out the sample size we need to detect a 2% lift at 80% power.",
         ]},
        {"id": "phased-rollout", "polarity": "positive", "source": "seed",
         "text": "Balances product velocity with statistical rigor by proposing phased rollout or sequential testing",
         "cues": [
             "We could ramp up in phases, 1% then 5%, and use sequential testing so we can stop early if it's clearly working.",
             "A phased rollout lets us move quickly while keeping the test rigorous.",
         ]},
        {"id": "accepts-vague-metrics", "polarity": "negative", "source": "seed",
         "text": "Accepts vague metrics like 'productivity' without defining operational proxies",
         "cues": [
             "Let's just measure productivity and see if it goes up.",
             "The number of code completions is a fine success metric.",
         ]},
        {"id": "ignores-constraints", "polarity": "negative", "source": "seed",
         "text": "Ignores traffic caps, latency constraints, or variance when planning experiment duration",
         "cues": [
             "Latency won't matter for this test.",
             "Two weeks is enough, the traffic cap doesn't really matter.",
         ]},
    ],
})

OPENING = "Jordan wants to pilot the AI code recommendations. How would you design the test?"


def transcript(*turns: tuple[str, str] | str, item: str = ITEM.id, variant: str | None = None) -> Transcript:
    """Turns as (speaker, text); a bare string is a candidate turn. The interviewer opens."""
    out: list[dict[str, Any]] = [{"speaker": "interviewer", "text": OPENING}]
    for t in turns:
        speaker, text = ("candidate", t) if isinstance(t, str) else t
        out.append({"speaker": speaker, "text": text})
    return Transcript.model_validate({"item": item, "variant": variant, "turns": out})


MEETS_ANSWER = [
    "First I'd pin down what productivity means here: I'd use the share of suggestions accepted per active coding hour as the primary metric, with p95 IDE latency as a guardrail.",
    ("jordan-lee", "Engineering is nervous about latency, and our flag system caps new experiments at 5% of traffic."),
    "Since teammates share code, I'd randomise at the team level so treated developers don't leak suggestions into the control group.",
]

STRONG_ANSWER = [
    *MEETS_ANSWER,
    ("jordan-lee", "Engineering wants to wrap this up in two weeks."),
    "With only 5% of traffic and noisy session lengths I'd size it for a 2% lift at 80% power, which works out to roughly four weeks, not two.",
    ("jordan-lee", "That's a long time to wait."),
    "To keep momentum I'd ramp from 1% to 5% in phases and use sequential monitoring with a pre-registered stopping rule, so we can stop early if the guardrails break.",
]
