"""Small personas and items built in code, so the dialogue tests do not depend on shipped content."""

from __future__ import annotations

from simulator.content.library import Library
from simulator.content.persona import Persona
from simulator.content.rubric import Item

PARTNER = {
    "id": "pm-test",
    "name": "Robin Test",
    "title": "Product Manager",
    "archetype": "informed_partner",
    "motivation": "Wants the pilot to show value without hurting the editor.",
    "voice": "Friendly, brief.",
    "source": "authored",
    "constraints": [
        {
            "id": "traffic-cap",
            "fact": "New experiments are capped at 5% of traffic.",
            "disclose_when": "asked about traffic or sample size",
            "ask_cues": [
                "How much traffic can the experiment get?",
                "Is there a limit on the share of users in a test?",
                "What percentage of users can we put in the pilot?",
            ],
            "disclosures": ["We can only give new experiments 5% of traffic.", "The flag system caps us at 5% of traffic."],
            "leak_markers": ["5%", "five percent", "traffic cap"],
        },
        {
            "id": "latency",
            "fact": "Engineering worries about extra API latency from model calls.",
            "disclose_when": "asked about engineering concerns or latency",
            "ask_cues": [
                "Does engineering have concerns about latency?",
                "Are there performance worries about the model calls?",
            ],
            "disclosures": ["Engineering is nervous about the extra latency of the model calls."],
            "leak_markers": ["latency"],
        },
    ],
    "tensions": [
        {"id": "vanity", "text": "Wants to count completions.", "trigger": "opening",
         "lines": ["I was thinking we just count code completions."]},
        {"id": "timeline", "text": "Wants two weeks.", "trigger": "topic",
         "trigger_cues": ["how long", "duration", "weeks"],
         "lines": ["Engineering wants this wrapped in two weeks."]},
        {"id": "spillover", "text": "Unaware of spillover.", "trigger": "late",
         "lines": ["Teams share snippets all the time, but that shouldn't matter, right?"]},
    ],
    "do_not": [
        {"id": "no-design", "text": "Do not suggest the design or metrics.",
         "violation_cues": ["you should use", "i recommend", "the right metric is"]},
    ],
    "lines": {
        "opening": ["Hi, thanks for making time."],
        "closing": ["Thanks, this was useful."],
        "acknowledge": ["Okay, go on.", "Makes sense."],
        "pushback": ["Hmm, I'm not sure engineering would sign off on that."],
        "clarify": ["When you say {term}, what exactly would we count?"],
        "deflect": ["That's your call; you're the experiment person."],
        "unknown": ["I'd have to check on that."],
    },
}

INTERVIEWER = {
    "id": "interviewer-test",
    "name": "Sam Park",
    "title": "Staff Data Scientist",
    "archetype": "interviewer",
    "motivation": "Find out how the candidate reasons.",
    "voice": "Calm.",
    "source": "authored",
    "lines": {
        "opening": ["Let's start."],
        "closing": ["Thanks, that's time."],
        "acknowledge": ["Thanks."],
        "follow_up_lead": ["A follow-up:"],
        "probe_lead": ["What else would you consider here?"],
        "hint_lead": ["Think about this:"],
        "time_warning": ["We have a few minutes left."],
        "deflect": ["I'd like to hear your approach first."],
    },
}

ASSISTANT = {
    "id": "assistant-test",
    "name": "Helper",
    "title": "Coding assistant",
    "archetype": "assistant",
    "motivation": "Helps draft code.",
    "voice": "Confident.",
    "source": "authored",
    "tensions": [
        {"id": "leaky-feature", "text": "Suggests a look-ahead feature.", "trigger": "topic",
         "trigger_cues": ["feature", "features"], "lines": ["Add days_until_cancellation as a feature."]},
        {"id": "accuracy", "text": "Suggests accuracy.", "trigger": "topic",
         "trigger_cues": ["metric", "evaluate"], "lines": ["Use accuracy as the metric."]},
    ],
    "lines": {"opening": ["Sure, here to help."], "closing": ["Done."], "acknowledge": ["Okay."]},
}

PANEL = [
    {"id": f"panel-{n}", "name": n.title(), "title": n, "archetype": "panel_member", "motivation": "m", "voice": "v",
     "source": "authored", "lines": {"opening": [f"{n} here, go ahead."], "closing": ["Thanks from the panel."],
                                     "acknowledge": ["Thanks."], "follow_up_lead": [f"{n} asks:"],
                                     "probe_lead": [f"{n}: how did you decide?"]}}
    for n in ("pm", "ds", "eng")
]

ANCHORS = {r: {"text": f"{r} anchor", "source": "authored"} for r in ("exceeds", "meets", "below")}


def item(**kw: object) -> Item:
    data: dict[str, object] = {
        "id": "q-test", "kind": "technical", "title": "A question", "question": "How would you detect drift?",
        "round": "technical-screen", "level": "senior", "response_time_minutes": 10,
        "follow_ups": ["What would you monitor first?"],
        "indicators": [
            {"id": "monitoring", "text": "Mentions monitoring alerts", "polarity": "positive", "source": "seed",
             "cues": ["I would set up monitoring alerts"]},
            {"id": "postmortem", "text": "Notes post-mortem analysis", "polarity": "positive", "source": "seed"},
            {"id": "waits", "text": "Waits for someone else", "polarity": "negative", "source": "seed"},
        ],
        "anchors": ANCHORS, "personas": ["interviewer-test"],
    }
    data.update(kw)
    return Item.model_validate(data)


def library() -> Library:
    lib = Library()
    for raw in [PARTNER, INTERVIEWER, ASSISTANT, *PANEL]:
        p = Persona.model_validate(raw)
        lib.personas[p.id] = p
    items = [
        item(),
        item(id="q-two", question="Tell me about a model you retired.", follow_ups=[]),
        item(id="sim-test", kind="work_simulation", question="Design the pilot test.", round="work-simulation",
             response_time_minutes=40, follow_ups=[], personas=["pm-test"]),
        item(id="code-test", kind="coding_test", question="Design a churn model.", round="live-coding",
             personas=["interviewer-test", "assistant-test"],
             variants=[{"id": "with_ai", "title": "With AI", "instructions": "Use AI.", "question": "Design a churn model with AI."},
                       {"id": "without_ai", "title": "Without AI", "instructions": "No AI.", "question": "Design a churn model."}]),
        item(id="pres-test", kind="presentation", question="Walk us through a project.", round="presentation",
             response_time_minutes=20, follow_ups=["How did you align stakeholders?"],
             personas=["panel-pm", "panel-ds", "panel-eng"]),
        item(id="ko-test", kind="knockout", question="Years deploying models?", round="application-screen",
             response_time_minutes=None, follow_ups=[], personas=["interviewer-test"],
             options=[{"answer": "Less than 1 year", "outcome": "auto_decline"},
                      {"answer": "1-2 years", "outcome": "qualifies"}]),
        item(id="resume-test", kind="resume_criteria", question="Paste your resume.", round="application-screen",
             response_time_minutes=None, follow_ups=[], personas=["interviewer-test"]),
        item(id="video-test", kind="video_response", question="Explain a risky launch.", round="application-screen",
             response_time_minutes=2, follow_ups=[], personas=["interviewer-test"]),
    ]
    for it in items:
        lib.items[it.id] = it
    return lib
