"""What the candidate is doing in a sentence: asking, proposing, asking for the answer, naming a
vague metric. Generic English cues decide the *kind* of sentence; whether it is *about* a persona's
hidden fact is semantic (embedding similarity to the persona's `ask_cues`), with a lexical overlap as
a floor so a literal match never depends on the embedding model being present.

Nothing here knows a persona: the cues below are about how people talk, not about Jordan Lee.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

# a sentence ends at . ! ? or at a run of emoji before a space ("ok serious mode 🧐 how much traffic can it get")
_SENT = re.compile(r"(?<=[.!?])\s+|\n+|(?<=[\u2600-\u27bf\U0001f300-\U0001faff])\ufe0f?\s+")
_WORD = re.compile(r"[a-z0-9%]+(?:[-'][a-z0-9]+)*")

STOP = frozenset(
    "a an the and or but if of to in on at for with by from as is are was were be been being do does did "
    "have has had i you we they he she it this that these those my your our their me us them so than then "
    "there here what which who whom whose when where why how can could would should will shall may might must "
    "any some about into over under just also very really too not no yes ok okay please let lets let's "
    "i'm i'd i'll we'd we'll we're you're it's that's what's how's there's going get got like know think "
    "want need kind sort bit quite much many more most all each every one look looks looking tell good "
    "actually honestly even only big lot lots keep seen today thing things quick something anything".split()
)

_QUESTION_START = re.compile(
    r"^(?:(?:so|and|also|ok(?:ay)?|right|great|thanks|sure|well|now|then|first|quick (?:question|one)|sorry|hey|um+|uh+|oh|ah|hmm+|be honest|gut check|(?:tell me )?honestly|seriously|wait|lol|haha|lmao)[\s,:\-\u2013\u2014]*){0,3}"
    r"(what|what's|whats|wat|wats|how|how's|hows|hw(?= \w)|why|when|where|where's|wheres|which|who|whos|is|are|am(?= i\b)|r(?= (?:the|we|they|you|u|there|any)\b)|was|were|do|does|did|can|could|would|will|"
    r"should|have|has|any|anything|tell me|walk me|help me understand|i'd like to know|i want to understand|"
    # a request put as an order ("explain the feature pls", "please describe who uses it", "define productivity for me")
    r"(?:please |pls |kindly )?(?:explain|describe|define|itemi[sz]e)(?= (?:me|the|what|how|who|which|it|for|to|\w+'s)\b)|"
    # or to hear something again ("say the part about the traffic limit again", "go back over the budget")
    r"(?:please )?(?:say(?! (?:we|i|you|they|he|she|there|it's|it is|that we)\b)|repeat|restate)(?=[^.?!]{0,60}\b(?:again|once more|one more time)\b)|(?:please )?go (?:back )?over(?= the\b)|"
    r"i.m curious|i am curious|i wonder|i was wondering|i.m wondering|i am wondering|may i ask|let me ask|just to check|quick check)\b",
    re.I,
)
_REQUEST = re.compile(r"\b(tell me|could you (?:share|explain|clarify)|can you (?:share|explain|clarify)|"
                      r"(?:could|would|can) you (?:please )?(?:confirm|let me know|say|explain|clarify|share)|"
                      r"i(?: would|'d) be grateful if|i(?: would|'d) appreciate|i(?: would|'d) like to (?:ask|check|confirm)|"
                      r"i'd like to (?:know|understand)|(?:grateful|keen|glad|curious) to (?:know|learn|hear|understand)|"
                      r"i should like to know|(?:i'd|i would) love to (?:know|hear)|do you know|are there any|is there any|is there a|"
                      r"(?:not sure|unsure|keep wondering|curious) (?:how (?:much|many|big|far|noisy|slow|fast|spread|variable|\w+ (?:feels?|thinks?))|what|whether|if)|"
                      r"let me know (?:what|how|whether|if|which)|advise (?:what|how|whether|if)|(?:i'd|i would) want to know (?:what|how|whether|if|which)|inclined to ask|i need one (?:number|figure)|"
                      r"i need (?:to (?:know|understand)|a sense of)|i (?:actually |really )?need from you|"
                      # a need said without its subject or spelt by ear ("Need to know how big a slice I get", "i need too no
                      # how noisy it is", "need a feel for how noisy the data is")
                      r"^\W*(?:(?:ok(?:ay)?|so|gm|right|and)[\s.,]+){0,2}(?:i )?(?:really |just )?need (?:to|too|two) (?:know|no|understand)\b|"
                      r"\bneed (?:a|some) (?:feel|sense|picture|read) (?:for|of|on)\b|"
                      r"\b(?:i'd|i would|i) (?:really )?(?:wanna|want to|like to|love to) (?:know|understand|hear)\b|"
                      r"\b(?:i'd|i would) be (?:\w+ )?(?:interested in|grateful for)\b|\bit (?:would|'d) (?:help|assist) me (?:\w+ )?(?:to (?:know|understand|hear)|if you)\b|"
                      r"\bnot (?:totally |entirely |quite |really |too |super )?(?:clear|sure) (?:on|to me|who|what|how|whether|if|which|why|when)\b|"
                      r"\b(?:i'm|i am) (?:still )?unclear (?:on|about|what|how|who|whether)\b|\b(?:one thing|the thing|what) (?:i'm|i am) (?:still )?missing\b|"
                      r"(?:if|whether) you (?:could|can|would) (?:clarify|share|explain|tell|confirm|let me know|say|indicate)|"
                      r"(?:i'd|i would) (?:really )?like to know|(?:have|need) to (?:nail|pin) down|"
                      r"(?:you|u) (?:got|have) any (?:sense|idea|numbers?|figures?|data)\b|"
                      r"shed (?:some |any )?light on|(?:you|u) (?:might|may|would) be able to (?:tell|share|say|explain|confirm|let me know)|"
                      r"^\W*(?:please )?(?:repeat|restate|remind me of|give me|confirm|go over) (?:the|that|your|what|how|who|which|it)\b|"
                      r"^\W*(?:(?:sorry|ok(?:ay)?|so)[\s,]+)?(?:please )?say (?:that|it) again\b|"
                      r"\bi(?: would|'d)? (?:\w+ )?(?:want|wanted|like|need) to (?:know|ask|check|understand|confirm) (?:what|how|who|whether|if|which|about)\b|"
                      r"\b(?:i was|i'm|i am) (?:\w+ )?wondering\b|"
                      # a want or need of something to know ("Need the exposure ceiling before I size anything", "I'd like a
                      # read on how much session length swings", "it would be really helpful to understand...", "Lay out
                      # the engineering objections for me", "Give me a sense of the customer base"); "I need the X to be"
                      # states a plan, not an ask, so the want names something to be told
                      r"^\W*(?:i(?:'ll| will)? )?(?:need|want) (?:the|three|two|a few|\w+'s) (?:[\w'-]+ ){0,3}?(?:ceiling|cap|limit|bound|max(?:imum)?|numbers?|figures?|details|breakdown|answer|history|baseline|spread|range|concerns?|worr(?:y|ies)|risks?|objections?|things|total|data)\b(?! (?:to|is|are|should|will|must)\b)|"
                      # a formal request to be told ("Kindly inform me whether...", "I wish to request a description of...",
                      # "State the allocation limit for this pilot", "I want to find out what worries them")
                      r"\b(?:kindly |please )?inform me (?:of|about|on|whether|if|what|how|which|who|when)\b|"
                      r"\bi (?:\w+ )?(?:(?:wish|would like|want) to )?request (?:the|a|an|some|any) (?:[\w'-]+ ){0,3}?(?:description|summary|"
                      r"breakdown|numbers?|figures?|details|information|info|data|limit|cap|ceiling|max(?:imum)?|concerns?|overview|history)\b|"
                      r"^\W*(?:please |kindly )?state (?:the|what|how|whether|which)\b|\b(?:want|need|wish|like|have) to find out\b|"
                      r"\b(?:get|have|want|like|give me) (?:a |some )?(?:feel|sense|read|picture) (?:for|of|on)\b|"
                      r"\bit (?:would|'d) (?:be )?(?:really |very |so |super )?(?:help|helpful|useful|great) (?:me )?to (?:know|understand|hear|learn|see)\b|"
                      r"\b(?:i'd|i would) find it (?:\w+ )?(?:useful|helpful) to (?:know|understand|hear|map|learn|see)\b|"
                      r"\binterested to (?:hear|know|learn)\b|^\W*want to (?:hear|know|understand)\b|"
                      r"\bi (?:should|ought to) (?:probably )?know (?:what|how|who|whether|if|which)\b|\b(?:i'd|i would) welcome (?:any |some )?(?:feedback|thoughts)\b|"
                      r"(?:^\W*|,\s*)(?:please )?(?:walk me through|lay out|show me (?:what|how|who|the)|rate my|give me (?:a|some|any|my|feedback|\w+'s)\b(?! (?:sec|second|minute|min|moment|tick|mo)\b))|"
                      r"\bdefine (?:\w+ )?(?:for me|the way)\b|(?:i'd|i would) like to (?:pin down|cover)\b)\b", re.I)
_PLEASE = re.compile(r"^\W*[\w' -]{2,40},?\s+please\W*$", re.I)  # "Number, please."
_ASK_FOR_ANSWER = re.compile(
    r"\b(what (?:should|would you suggest|do you suggest|would you recommend|do you recommend)|"
    r"(?:can|could|would) you (?:suggest|recommend|propose|design|give me the|tell me (?:what|which|how) (?:we|i) should)|"
    r"what(?:'s| is) the (?:right|best|correct|ideal)|which (?:metric|design|approach|method)s? (?:should|would)|"
    r"how (?:should|would) (?:we|i|you) (?:design|set up|structure|measure)|what (?:metric|design)s? (?:should|would)|"
    r"just tell me|what do you want me to (?:use|measure|pick)|"
    r"what (?:would|do) you (?:use|consider|include|pick|choose|build|target|go with)|"
    r"how would you (?:split|design|measure|set up|instrument|define|randomi[sz]e|structure)|"
    r"what (?:\w+ ){0,3}should (?:i|we) (?:power|use|pick|target|choose|aim)|give me a number|"
    r"what would (?:constitute|be) (?:the |a )?(?:appropriate|right|good|best|ideal)|"
    r"what(?:'s| is| would be) (?:a |the )?(?:good|sensible|reasonable) (?:\w+ )?(?:metric|guardrail|duration|sample|threshold)|"
    r"what do you think (?:the |our |my )?(?:\w+ ){0,2}(?:metric|design|duration|split|guardrail|unit)s? should|"
    r"what would you (?:do|recommend|suggest|propose)|how would you (?:approach|tackle|handle|solve|do) (?:it|this|that)|"
    r"(?:if you were me|in my shoes|if it were you|your (?:own )?(?:answer|solution))|"
    r"(?:could|can|would) you (?:just )?(?:list|name|give me|walk me through) (?:the )?(?:usual|common|typical|main|standard|best|right)|"
    r"what are the (?:usual|common|typical|standard|main|right|best) (?:reasons|causes|ways|approaches|metrics|options|answers)|"
    r"what's the answer|which (?:one )?would you (?:pick|choose|use|go with)|"
    r"which (?:\w+ ){0,2}you (?:consider|think|believe|reckon) (?:is |to be )?(?:the )?(?:correct|right|best)|"
    r"what (?:\w+ ){0,2}you(?:'d| would) (?:use|pick|choose|go with|target)\b|^\W*(?:the )?right (?:metric|answer|design|approach)s?(?=\W*$)|"
    r"should (?:it|we|i|the \w+) (?:be|use|go with|pick|run|randomi[sz]e)\b[^?]{0,60}\bor\b|"
    r"(?:the )?(?:standard|usual|normal|typical|textbook|best) (?:approach|way|practice|method|solution)|"
    r"how do (?:people|teams|companies|folks) (?:normally |usually |typically )?(?:do|handle|monitor|measure|approach|run|design|solve)|"
    r"(?:what|how) would you have (?:done|checked|used|instrumented|built|measured|handled|picked|chosen|tried)|"
    r"(?:what|which) (?:\w+ ){1,3}(?:would|will) you (?:pick|recommend|suggest|choose|use|go with)|"
    r"(?:what|which) (?:\w+ ){1,2}(?:do )?you (?:recommend|suggest)|"
    r"which (?:\w+ )?you would (?:choose|pick|use)|would you (?:use|pick|choose|go with) (?:a|an|the) [^?]{0,40}\bor not|"
    r"what (?:\w+ ){1,3}do you think (?:we|i) (?:need|should)|"
    r"what (?:\w+ ){0,2}would you (?:want|put|include) (?:on|in) (?:it|there|the \w+)|"
    r"what (?:an?|the) (?:great|good|ideal|strong|perfect|model) (?:\w+ ){1,4}(?:would|should) (?:include|contain|cover|show)|"
    r"is (?:\w+ ){1,3}the (?:right )?answer|"
    # the decision handed over in so many words ("Your call.", "You tell me lah.", "Just give me your number.")
    r"(?:^|[.,;:!?-]\s*|\b(?:so|then|just|ok(?:ay)?|but)\s+)(?:you tell me|you decide|you pick|your call)(?=(?:\s+(?:lah|la|then|please|here))?\W*$)|"
    r"(?:give|tell) me your (?:number|pick|answer|call|recommendation)|what(?:'s| is) your (?:pick|call|number)(?=\W*$))\b",
    re.I,
)
_PROPOSAL = re.compile(
    r"\b(we'll|we will|i'll|i will|i'd|i would|let's|let us|we should|we could|we can|my plan|the plan|i propose|"
    r"i suggest|i recommend|i'm going to|we're going to|going to|we'd|we would|roll(?:ing)? (?:it )?out|launch|ship)\b",
    re.I,
)
_METRIC_INTENT = re.compile(
    r"\b(metric|metrics|measure|measuring|measured|success|kpi|kpis|track|tracking|north star|goal|"
    r"optimi[sz]e|improve|improving|increase|increasing|boost|lift|primary|look at|focus on|monitor|watch|"
    r"go with|judge|see if|secondary|guardrail|keep an eye on|goes up|go up|going up|went up|win|counts as)\b",
    re.I,
)
_OPERATIONAL = re.compile(
    r"(\d|%|\b(rate|ratio|per|proportion|percentage|share of|fraction|time to|time-to|latency|count of|"
    r"p50|p90|p95|p99|median|mean|average|defined as|define|definition|operationali[sz]e|proxy|proxies|"
    r"accepted|acceptance|retained|per-user|per user|measured as|computed as)\b)",
    re.I,
)
VAGUE_TERMS = ("productivity", "engagement", "satisfaction", "happiness", "quality", "value", "impact",
               "experience", "efficiency", "usefulness", "adoption", "success", "usage", "stickiness", "output",
               "activity", "delight", "sentiment", "happy", "happier", "helpfulness", "effectiveness", "velocity",
               "improvement", "performance")


def listed(items: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    if not items:
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENT.split(text) if s and s.strip()]


# The other half of an either-or question about the same thing stays with the first ("is the traffic
# steady, or is it all over the shop?"): scored alone, "is it all over the shop" asks about nothing
_SAME_QUESTION = r"(?!(?:is|are|was|were|do|does|did|can|could|will|would|should)\s+(?:it|that|this|there|they)\b)"
_NEXT = r"(?=(?:is|are|do|does|did|how|what|can|could|will|would|should|any|compare|then|we|i)\b)"
_CLAUSE = re.compile(
    rf"[;:]\s+|,\s*(?:and|but|also|plus|then)\s+|,\s*or\s+{_SAME_QUESTION}{_NEXT}|\s+and\s+{_NEXT}|\s+or\s+{_SAME_QUESTION}{_NEXT}",
    re.I,
)


_LISTED = re.compile(r",\s*(?=(?:who|who's|what|what's|how|which|when|where|why)\s)", re.I)


def clauses(sentence: str) -> list[str]:
    """A sentence cut where a second question starts ("how much traffic..., and is latency...")."""
    parts = [p.strip() for p in _CLAUSE.split(sentence) if p and p.strip()]
    return parts or [sentence]


def listed_questions(clause: str) -> list[str]:
    """The questions of a list cut at each ", what..." once a question has started ("who's building
    this, what the recommendations do"), or [] ("if we had 5%, how long..." is one question)."""
    pieces = [x.strip() for x in _LISTED.split(clause) if x.strip()]
    return pieces if len(pieces) > 1 and is_question(pieces[0]) else []


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def stem(word: str) -> str:
    for suffix in ("ing", "ies", "es", "ed", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


@lru_cache(maxsize=16384)
def content_words(text: str) -> frozenset[str]:
    """Cached: the same cues are compared on every turn."""
    return frozenset(stem(w) for w in words(text) if w not in STOP and len(w) > 1)


def normalise(text: str) -> str:
    return " ".join(words(text))


def contains_phrase(text: str, phrase: str) -> bool:
    """Whole-word containment after normalising case and punctuation."""
    p = normalise(phrase)
    return bool(p) and f" {p} " in f" {normalise(text)} "


def lexical(sentence: str, cue: str) -> float:
    """Share of the cue's content words the sentence has (1.0 = every one)."""
    cue_words = content_words(cue)
    if not cue_words:
        return 0.0
    share = len(cue_words & content_words(sentence)) / len(cue_words)
    # one shared word is weak evidence ("how many more rounds?" vs "a coffee spot round here")
    return share if len(cue_words) > 1 else 0.5 * share


_WH_STATEMENT = re.compile(r"^\W*(?:when|where|how|what|why|which|who)\s+(?:i|we|you|he|she|they|it|the|a|my|our|your|this|that)\b", re.I)


# A question asked mid-sentence without its question mark ("and on the model side does anyone in eng
# think the calls will make typing laggy"): an auxiliary before its subject, which English statements
# do only just after "only", "neither", "nor", "so", "as", "than" ("only then can we", "so do we")
_INNER_QUESTION = re.compile(r"\b(?:have|has|do|does|did|is|are|can|could|would|will)\s+(?:you|u|we|anyone|anybody|any1|they)\b"
                             # or, after a comma, before "it"/"there" ("if I pulled a month of sessions, would it
                             # look like a bell curve"): within a sentence, "is it", "would it" invert only there
                             r"|,\s*(?:do|does|did|is|are|was|were|can|could|would|will)\s+(?:it|there)\b"
                             # or any subject but a bare verb or adverb after a comma or a dash ("the response time of
                             # the suggestion api, is eng nervous about it"; "'start small' - is small a choice")
                             r"|(?:,|\s[-\u2013])\s*(?:is|are|was|were|does|did)\s+(?!(?:be|not|also|just|still|probably|really|only|always|never|likely|going)\b)[a-z]\w*"
                             # or a question word after a comma ("on the data side, how variable are session lengths")
                             r"|,\s*(?:what's|whats|how (?:much|many|variable|big|long|noisy|fast|slow)|what (?:is|are|does|do))\b"
                             # or what after a comma, not what someone did or thinks ("so the recommendations, what exactly
                             # pops up"; "and if it flops, what gets decided"), who decides, "then what", "after X what happens"
                             r"|,\s*what\s+(?!(?:a|an|i|we|you|u|they|he|she|it|i'm|we're|you're|i've|we've|i'd|we'd|matters|counts)\b)\w+"
                             r"|,\s*(?:who\s+(?:can|could|gets?|makes?|decides?|owns?|signs?|else|is|are)|who's|whos)\b|\bthen what\W*$"
                             r"|^\W*(?:and |so )?(?:after|at the end of|once) [^,?]{0,40}?\bwhat (?:happens|gets)\b"
                             # or an inverted how mid-sentence ("quick question about the data how steady is the usage", "on a
                             # scale of 1-10 how was that")
                             r"|\bhow (?:\w+ )?(?:is|are|was|were|does|do|did) (?:the|it|this|that|they|we|you|u|our|your|there|i)\b"
                             # or in the main clause after an "if" ("if I asked for 40% of users would the tooling even
                             # let me"): a modal before its subject, some words after the "if"
                             r"|^\W*if\s+(?:\S+\s+){2,}(?:would|will|does|do|can|could)\s+(?:the|it|that|there|this|they|eng\w*|anyone|anybody)\b", re.I)
_INVERTS = frozenset({"only", "neither", "nor", "so", "as", "than"})


def _inner_question(s: str) -> bool:
    return any(not _INVERTS & set(s[:m.start()].lower().split()[-2:]) for m in _INNER_QUESTION.finditer(s))


# A question put again as a correction ("No sorry, wrong word. I meant how big a piece of the users we may put in")
_I_MEANT = (r"(?:(?:no|nope|sorry|sry|oh|ah|wait|actually)[\s,.!]*){0,3}i (?:mean|meant|was asking|wanted to know|want to know)\s+"
            r"(?=(?:how|what|who|which|when|where|whether|if)\b)")
_MEANT = re.compile(r"^\W*" + _I_MEANT, re.I)


def is_question(sentence: str) -> bool:
    s = sentence.strip()
    if s.endswith("?") or _MEANT.match(s):
        return True
    if _WH_STATEMENT.match(s):  # "When I built my last team, ..." tells, it does not ask
        return bool(_REQUEST.search(s)) or (not s.endswith((".", "!")) and _inner_question(s))
    if _QUESTION_START.match(s) or _REQUEST.search(s) or _PLEASE.match(s):
        return True
    return not s.endswith((".", "!")) and _inner_question(s)


_VERBISH = frozenset("i we you they he she it let's lets is are was were be been am will would should shall can could "
                     "do does did have has had may might must won't wont don't dont can't cant isn't aren't wasn't "
                     "need needs want wants think thinks know go goes going".split())


def is_bare_name(sentence: str) -> bool:
    """Two or three words naming something, with no verb or subject and no list ("Traffic ceiling.",
    "Model-call budget."), not a reply word ("Sure.", "Got it.")."""
    s = sentence.strip()
    if not s or s.endswith("?") or any(c in s for c in ",:;") or _SMALL_TALK.match(s):
        return False
    ws = words(s)
    return 2 <= len(ws) <= 3 and not _VERBISH & set(ws) and len(content_words(s)) >= 2


def telegraphic(sentences: list[str]) -> str | None:
    """A message in bare fragments ("Engineering. Worries.", "Users in the test. How many max.",
    "Feature. What it does. Short version."): the fragments as one phrase, else None. Two to four
    fragments of one to four words each, none a greeting or a reply word, no question mark."""
    parts = [s.strip().rstrip(".!") for s in sentences]
    if not 2 <= len(parts) <= 4 or any(s.strip().endswith("?") for s in sentences):
        return None
    counts = [len(words(x)) for x in parts]
    if min(counts) < 1 or max(counts) > 4 or sum(counts) > 10:
        return None
    if any(is_small_talk(x) for x in parts):
        return None
    return " ".join(parts)


def is_fragment(sentence: str) -> bool:
    """No question word or verb to ask with: "Number, please.", "and the budget"."""
    s = sentence.strip()
    return not _QUESTION_START.match(s) and not _inner_question(s)


def asks_for_answer(sentence: str) -> bool:
    """The candidate wants the persona to supply the design or the metrics (not which of two ways
    to give their own answer the listener prefers: `offers_how_to_answer`)."""
    return bool(_ASK_FOR_ANSWER.search(sentence)) and not offers_how_to_answer(sentence)


# "Should I give one example in detail, or two shorter ones?", "do you want me talking while I type, or
# quiet and explain after?", "can I sketch this on a whiteboard or should I just talk it through?": the
# candidate offers ways to give their own answer (not "should I use boosting or a linear model?")
_MY_WAY = re.compile(r"\b(?:(?:should|shall|can|could|may|must) i|i (?:should|shall|can|could|must)|(?:do|would|will) you "
                     r"(?:want|like|prefer|rather)|you (?:want|prefer) me|how (?:do|would) you (?:want|like)|am i allowed|"
                     r"is it (?:ok|okay|fine|alright) (?:if|to)|(?:is|are) (?:ok|okay|fine|allowed)(?=\W*$)|or not allowed|"
                     r"can (?:the|my) (?:example|story|answer|code|skeleton) be)\b", re.I)
_DELIVERY = re.compile(r"\b(?:stor(?:y|ies)|examples?|star|whiteboard|sketch(?:ing)?|draw(?:ing)?|slides?|talk(?:ing)?|speak(?:ing)?|"
                       r"present(?:ing)?|go(?:ing)? through|walk(?:ing)? (?:you |them )?through|minutes|q&a|detail|depth|"
                       r"high[- ]level|short(?:er)?|textbook|pseudo-?code|typ(?:e|ing)|share my screen|out loud|aloud|verbally|"
                       r"quiet(?:ly)?|start with|in writing|(?:use|using) (?:ai|an ai|chatgpt|copilot|my notes|notes)|"
                       r"real python|from (?:my|work|outside)|only from)\b", re.I)


def offers_how_to_answer(sentence: str) -> bool:
    """An either-or question on how the candidate gives their own answer: how the session runs,
    never a request for the answer itself."""
    return bool(re.search(r"\bor\b", sentence, re.I) and _MY_WAY.search(sentence) and _DELIVERY.search(sentence)
                and not re.search(r"\bassum", sentence, re.I))  # "can I assume..., or...?" asks what may be assumed


def is_proposal(sentence: str) -> bool:
    return not sentence.strip().endswith("?") and bool(_PROPOSAL.search(sentence))


_LEAD = re.compile(r"^\W*(?:(?:ok(?:ay)?|so|and|but|right|great|well|honestly|whatever|meh|fine|i mean|basically|also|"
                   r"alright|sure|yeah|yes|look|anyway|cool|hmm+|tbh)\b[\s,.!:;-]*)+", re.I)


def without_lead(sentence: str) -> str:
    """The sentence without the words that open it for the listener ("ok so", "honestly,", "right,
    but"): they say how it is said, not what it does, and would read as an acknowledgement."""
    return _without_opening(_LEAD, sentence)


def _without_opening(opening: re.Pattern[str], sentence: str) -> str:
    """The sentence without what `opening` matches at its start, unless fewer than three words remain."""
    rest = opening.sub("", sentence, count=1)
    return rest if len(words(rest)) >= 3 else sentence


# an apology or hesitation, or a correction's "I meant" ("No sorry, I meant how many users...")
_HESITATION = re.compile(r"^\W*(?:(?:sorry|pardon|um+|uh+|er+|erm+)\b[\s,.!:;-]*)+|^\W*" + _I_MEANT + "|"
                         # "Before I answer, how does this call work?": when, not what, it asks ("answer" is no request for one)
                         r"^\W*(?:before (?:i|we) (?:answer|start|begin|dive in|jump in|get going|go on|get into it)|"
                         r"before (?:answering|starting|we start|i start))\b[\s,.!:;-]*", re.I)


def without_hesitation(sentence: str) -> str:
    """The question without the apology, hesitation or "I meant" that opens it: "Sorry, what was
    the ceiling on rollout?" asks what "what was the ceiling on rollout?" asks, but the models,
    trained on questions, read the "sorry" as something else."""
    return _without_opening(_HESITATION, sentence)


def is_defined(sentence: str) -> bool:
    """Names a number, a rate, a unit or a definition ("accepted suggestions per active hour")."""
    return bool(_OPERATIONAL.search(sentence))


def vague_terms(sentence: str) -> list[str]:
    """Abstract outcome words used as a metric without an operational definition."""
    tentative = bool(re.search(r"\b(we could|could we|maybe|how about|what about|is that okay|if that's okay)\b", sentence, re.I))
    tentative = tentative or checks_premise(sentence)  # "more usage = success, right?" proposes it
    if (sentence.strip().endswith("?") and not tentative) or not _METRIC_INTENT.search(sentence) or is_defined(sentence):
        return []
    ws = set(words(sentence))
    return [t for t in VAGUE_TERMS if t in ws]


_MEASURE = re.compile(r"\b(?:measure|measuring|track|tracking|watch|monitor|look at|see|judge|check|keep an eye on)\s+(?:whether |if )?(.{3,60}?)(?:[,.;!?]|$)", re.I)


def vague_phrase(sentence: str) -> str:
    """The words a vague metric is named by ("we measure whether devs are more engaged": "whether
    devs are more engaged"), or "that" when none stand out."""
    m = _MEASURE.search(sentence)
    if not m:
        return "that"
    phrase = m.group(1).rstrip(",.;!? ")
    return f"'{phrase}'" if 1 <= len(phrase.split()) <= 8 else "that"


def mentions_any(text: str, phrases: Sequence[str]) -> bool:
    return any(contains_phrase(text, p) for p in phrases if p.strip())


class Matcher:
    """Semantic similarity (the grader's MiniLM embedding, which caches vectors per sentence) with
    the lexical overlap as a floor; lexical alone when the embedding is unavailable or turned off."""

    def __init__(self, semantic: bool | None = None, model: str = "minilm") -> None:
        self._embed: Any = None
        self._matrices: dict[tuple[str, ...], Any] = {}
        self.model = model
        if semantic is not False:
            try:
                from functools import partial

                from simulator.models import embedding

                if model != "minilm" and not embedding.intent_available():
                    raise LookupError(model)
                self._embed = partial(embedding.embed, model=model)
            except Exception:  # the embedding helper is optional: lexical matching still works
                self._embed = None

    @property
    def semantic(self) -> bool:
        return self._embed is not None

    def similarity(self, sentence: str, cues: Sequence[str], *, floor: bool = True) -> float:
        """max over cues of max(cosine, lexical overlap); with floor=False, cosine alone (0.0
        without the embedding)."""
        if not cues:
            return 0.0
        best = max(lexical(sentence, c) for c in cues) if floor else 0.0
        if self._embed is not None and best < 1.0:
            try:  # the cues are the product's own text (kept on disk between runs); the sentence is not
                vec = self._embed([sentence])[0]
                cue_vecs = self._matrix(cues)
            except Exception:  # a broken model must not break a practice session
                self._embed = None
                return best
            best = max(best, float((cue_vecs @ vec).max()))
        return best

    def _matrix(self, cues: Sequence[str]) -> Any:
        """The cues' vectors as one matrix, kept per list of cues: a persona's act examples are a
        thousand texts, and looking each up in the vector cache on every sentence cost more than
        the model (the short lists the director builds from a transcript are not kept)."""
        if len(cues) < 8:
            return self._embed(list(cues), keep=True)
        key = tuple(cues)
        got = self._matrices.get(key)
        if got is None:
            if len(self._matrices) >= 256:
                self._matrices.clear()
            got = self._matrices[key] = self._embed(list(cues), keep=True)
        return got

    def warm(self, texts: Sequence[str]) -> None:
        if self._embed is not None and texts:
            try:
                self._embed(list(dict.fromkeys(texts)), keep=True)
            except Exception:
                self._embed = None

    _shared: Matcher | None = None
    _intent: Matcher | None = None

    @classmethod
    def shared(cls) -> Matcher:
        """One per process, so every session reuses the loaded model and its vector cache."""
        if cls._shared is None:
            cls._shared = Matcher()
        return cls._shared

    @classmethod
    def intent(cls) -> Matcher | None:
        """The trained intent encoder's matcher (what a question asks of a persona), or None when
        the model file is not there."""
        if cls._intent is None:
            m = Matcher(model="intent")
            if not m.semantic:
                return None
            cls._intent = m
        return cls._intent


class Verifier:
    """Whether a question asks for one piece of knowledge, read by the trained ask verifier (a
    cross-encoder over the question and what the persona would say); None when the model is not
    installed or fails, so the comprehension falls back to the intent encoder alone."""

    _shared: Verifier | None = None

    def __init__(self) -> None:
        from simulator.models import verifier

        self._model: Any = verifier if verifier.available() else None

    @property
    def available(self) -> bool:
        return self._model is not None

    def asks(self, question: str, fact: str) -> float | None:
        if self._model is None:
            return None
        try:
            return float(self._model.score([(question, fact)])[0])
        except Exception:  # a broken model must not break a practice session
            self._model = None
            return None

    @classmethod
    def shared(cls) -> Verifier | None:
        """One per process (the model and its cache are shared), or None without the model."""
        if cls._shared is None:
            cls._shared = Verifier()
        return cls._shared if cls._shared.available else None


_EVERYTHING = re.compile(
    r"\b(anything else (?:i|we) (?:should|need to|ought to) know|anything (?:else )?i(?:'m| am) missing|"
    r"what else (?:should|do) (?:i|we) (?:know|need to know)|tell me every(?:thing)?|everything (?:i|we) (?:should|need to) know|"
    r"(?:all|every|any|what) (?:the |other )?(?:constraints?|limitations?|limits|restrictions|gotchas|caveats)|"
    r"anything (?:else )?(?:that )?(?:could|might) (?:bite|affect|trip)|what am i missing|"
    r"is there anything else|anything else (?:to know|worth knowing|i should be aware of)|"
    # "Anything I've missed?", "Other constraints I have not asked about?", "Anything else that should be on my checklist?"
    r"anything (?:else )?(?:i|we)(?:'ve| have)? (?:missed|overlooked|forgotten|not asked|haven't asked|didn't ask)|"
    r"\bother (?:constraints?|limitations?|limits|restrictions|gotchas|caveats)|anything else (?:that )?(?:should|ought to|needs to) (?:be|go|know))\b",
    re.I,
)
_SMALL_TALK = re.compile(
    r"^\W*(hi|hello|hey|good (?:morning|afternoon|evening)|thanks|thank you|cheers|nice to meet you|"
    r"great to meet you|pleasure|how are you|how's it going|how are things|how was your (?:day|week|weekend))\b",
    re.I,
)
_DISMISS = re.compile(
    r"\b((?:won't|will not|doesn't|does not|shouldn't|should not|wouldn't|would not) (?:really )?(?:matter|be an? (?:issue|problem|concern)|be a big deal)|"
    r"(?:isn't|is not|aren't|are not|not) (?:really )?(?:an? )?(?:issue|problem|concern|priority|important|relevant)|"
    r"don't (?:need to )?(?:worry|care) about|no need to (?:worry|care|bother)|(?:we can |let's |just )ignore|"
    r"negligible|doesn't apply|not worth (?:worrying|considering)|skip (?:the|that|worrying)|"
    r"wont matter|won't matter much|not our problem|not (?:fuss|overthink|bother)|just noise|(?:a|is a) nuisance|"
    r"make an exception|fast enough|(?:tune|fix|deal with) it (?:after|later)|tell (?:them|the \w+ team) afterwards|"
    r"(?:optimi[sz]e|fix|tune|deal with|handle|sort out) (?:it|that|this) later|(?:an? )?engineering problem|"
    r"who cares|(?:doesn't|does not) really matter|not (?:a|that) big (?:of a )?deal|(?:it'll|it will|we'll|we will) be fine|"
    r"(?:probably|should be) fine|forget (?:about )?(?:the|that)|overkill|(?:not|isn't|is not) necessary|unnecessary|"
    r"(?:can|could) skip|irrelevant|(?:there's|there is|we have) no (?:real )?(?:limit|cap|constraint|restriction|issue|problem)|"
    r"unlimited|as (?:much|many|long) as we (?:want|like|need)|(?:is|are) (?:pretty |fairly |very )?(?:stable|consistent|predictable|negligible)\b|"
    r"(?:engineering|they) will (?:just )?(?:have to )?(?:deal|live) with it|"
    r"(?:everyone|all (?:the )?(?:users|developers)|100%|half of (?:all|our) (?:users|developers)) (?:in|into|gets?)\b)",
    re.I,
)
_DONE = re.compile(
    r"\b(that's (?:all|it|everything|my (?:answer|presentation|walkthrough))|that is (?:all|it|my (?:answer|presentation))|"
    r"i'm done|i am done|i'm finished|nothing (?:more|else) to add|no(?:thing)?, (?:i think )?that's (?:it|all)|"
    r"happy to take (?:any )?questions|(?:open|happy) (?:to|for) questions|any questions\??$|"
    r"(?:let's|we can|can we) move on|next question|that concludes|end of (?:my )?(?:presentation|walkthrough))\b",
    re.I,
)


_PREMISE = re.compile(r"^\W*(?:(?:ok(?:ay)?|so|and|but|well|right|also|alright),? ){0,3}(since|given (?:that)?|because|as we know|seeing as|now that|whatever)\b", re.I)
_AGAIN = re.compile(r"\b(again|remind me|one more time|once more|say that again|repeat that|what did you say|you said|you mentioned)\b", re.I)


def is_premise(sentence: str) -> bool:
    """A statement built on something taken as given ("since the limit is 50%, ...")."""
    return bool(_PREMISE.search(sentence))


_BARE_AGAIN = re.compile(r"^\W*(?:(?:sorry|ok(?:ay)?|um+|huh)[\s,]+)?(?:sorry|pardon|come again|again|say (?:that|it)(?: part| bit)? (?:again|one more time|once more)|what was that|"
                         r"(?:can|could) you (?:please )?(?:repeat|say) (?:that|it)(?: part| bit)?(?: again| one more time| once more)?|repeat (?:that|it)|"
                         r"(?:please )?(?:restate|repeat) what you (?:just )?said(?: [\w' ]{0,40})?|"
                         r"once more|one more time|say again)(?:,? (?:please|can|lah))?\W*$", re.I)
# "Sorry ah, the last part you said, say again can?", "could you go back over the second point you made?": the
# last line once more (which point is not named)
_LAST_SAID = re.compile(r"\b(?:the )?(?:last|second|first|previous|other) (?:part|thing|bit|point|sentence)s?(?: (?:you|u) (?:just )?(?:said|made|mentioned))?\b", re.I)
_WH_WORD = re.compile(r"\b(?:what|what's|how|who|which|when|where|why)\b", re.I)  # "I missed the first bit, what was the budget again?" names it
_OVER_AGAIN = re.compile(r"\b(?:again|once more|one more time)\b|\bgo (?:back )?over\b|\b(?:say|said|repeat|restate)\b.*\bover\b", re.I)


def asks_bare_again(text: str) -> bool:
    """"Again?", "Sorry?", "Come again?": the last thing said, once more (nothing named; what else
    the message says asks nothing: "Please restate what you just said. I want to get it down.")."""
    sents = sentences(text) or [text]
    if any(_LAST_SAID.search(s) and _OVER_AGAIN.search(s) and not _NAMES_PART.search(s) and not _WH_WORD.search(s) for s in sents):
        return True
    # "Sorry can you say that again, I lost it halfway through": a reason after the request
    parts = [x for s in sents for x in ([s] if _BARE_AGAIN.match(s) else _reason_split(s))]
    rest = [s for s in parts if not _BARE_AGAIN.match(s)]
    return len(rest) < len(parts) and not any(is_question(s) or _NAMES_PART.search(s) for s in rest)


_SAY_AGAIN = re.compile(r"\b(?:say|repeat|restate|come again|once more|one more time)\b", re.I)


def _reason_split(sentence: str) -> list[str]:
    """A sentence cut after the comma before which it asks to hear it again, if one does."""
    cuts = [m.start() for m in re.finditer(",", sentence)]
    for at in reversed(cuts):
        head, tail = sentence[:at], sentence[at + 1:]
        if tail.strip() and _BARE_AGAIN.match(head) and _SAY_AGAIN.search(head):  # not "Sorry, got distracted."
            return [head, tail]
    return [sentence]


_NAMES_PART = re.compile(r"\b(?:about|regarding|the (?:bit|part|thing|point|number|figure))\b", re.I)  # "the bit about X"


_THE_QUESTION = re.compile(r"\b(?:(?:repeat|restate|re-?read|say|read|give me) (?:the|your|that) (?:last )?question|"
                          r"what (?:was|is) the (?:last )?question(?= again|\W*$)|the question (?:again|one more time|once more))\b", re.I)


def asks_for_the_question(text: str) -> bool:
    """"Could you repeat the question?", "Sorry, what was the question again?": the interviewer's
    question once more."""
    return any(_THE_QUESTION.search(s) for s in sentences(text) or [text])


# A question that leans on the one before it: a word pointing back ("what were they worried about?",
# "is that per experiment?"), an elliptical opening ("and the engineers?", "what about traffic?", "same
# for the platform side"), or a press on what was just said ("even for a tiny pilot?", "really?")
_BACK = frozenset("they them their theirs it its that those there same too also even either".split())
_ELLIPTIC = r"what about|how about|same (?:question )?for|as for|and for"  # "what about traffic?": the question before, of another subject
_ELLIPSIS = re.compile(r"^\W*(?:and|or|also|but|so|plus|" + _ELLIPTIC + r"|even)\b", re.I)
# ...unless it says it changes the subject ("side question, how slow is the help centre these days?")
_NEW_SUBJECT = re.compile(r"\b(?:side (?:question|note)|random(?:ly)?|unrelated|different (?:topic|thing|question|subject)|off[- ]topic|"
                          r"by the way|btw|out of (?:interest|curiosity)|incidentally|chang(?:e|ing) (?:the )?subject|totally different|"
                          r"(?:a little|a bit|something|slightly) different)\b", re.I)


# "And the engineers?", "what about traffic then?", "same question for the engineering team?", "users' concerns,
# same?": the question before, asked of another subject (the words after the opening, with no verb of their own)
_SWITCH = re.compile(r"^\W*(?:(?:ok(?:ay)?|right|cool|and|so|alright|hmm+)\W+)?"
                     r"(?:and\s+)?(?:" + _ELLIPTIC + r"|and)\s+(?P<a>[^?.!,]+?)"
                     r"(?:\s*,?\s*(?:then|too|as well|also|specifically|now|though))?\s*\W*$"
                     r"|^\W*(?P<b>[^?.!,]+?)\s*,?\s*(?:same|too|as well)\W*$", re.I)
_SUBJECT_LEAD = re.compile(r"^(?:(?:about|abt|regarding|re|on|with)\s+)+", re.I)
_NOT_A_SUBJECT = frozenset(
    "is are was were do does did can could will would should shall may might must has have had be been am "
    "what who whom whose which when where why how if i you we me us my your our this that these those "
    "it its they them their there here else more again now not no yes".split())


def switched_subject(sentence: str) -> str | None:
    """The new subject of an elliptical question ("And the engineers?" -> "the engineers"), or None
    when it says more than a subject ("and how long would that take?")."""
    m = _SWITCH.match(sentence.strip())
    if m is None or _NEW_SUBJECT.search(sentence):
        return None
    subject = _SUBJECT_LEAD.sub("", (m.group("a") or m.group("b") or "").strip())
    ws = words(subject)
    if not 1 <= len(ws) <= 4 or _NOT_A_SUBJECT & set(ws) or not content_words(subject):
        return None
    return subject


_THEY = frozenset({"they", "them", "their", "theirs"})
_NOT_POINTING = re.compile(r"\b(?:(?:given|so|now|such|provided|assuming|except) that|take it|these days|if it(?:'s| is) not|"
                           r"this (?:time|week|year|morning|afternoon|round|session|interview|call|pilot|feature|experiment|test|is a))\b", re.I)
_STARRED = re.compile(r"(?:(?<=\s)|^)\*([A-Za-z][\w'-]*)(?=[\s.!?,]*$|\s)(?![^*]*\*)")  # not *emphasis* or *shrug*


def mended(text: str) -> str:
    """The message with its own "*word" corrections made ("What dies the feature do? *does" -> "What
    does the feature do?"): each starred word takes the place of the earlier word it is closest to
    in spelling (and nothing if none is close)."""
    fixes = list(_STARRED.finditer(text))
    if not fixes:
        return text
    out = _STARRED.sub("", text).strip()
    for m in fixes:
        right = m.group(1)
        near = [(difflib.SequenceMatcher(None, w.group().lower(), right.lower()).ratio(), w)
                for w in re.finditer(r"[A-Za-z][\w']*", out) if w.group().lower() != right.lower()]
        ratio, best = max(near, key=lambda x: x[0], default=(0.0, None))
        if best is not None and ratio >= 0.6:
            out = f"{out[:best.start()]}{right}{out[best.end():]}"
    return out


def asks_who(sentence: str) -> bool:
    """"And who's it for?", "who signs off on that?": asks for people."""
    return bool(re.search(r"\bwho(?:m|se|'s|s)?\b", sentence, re.I))


def pointer(sentence: str) -> tuple[int, int] | None:
    """Where the last word pointing back stands ("who settles that?": "that"), or None."""
    if not points_at_it(sentence):
        return None
    masked = _NOT_POINTING.sub(lambda m: " " * len(m.group()), sentence)
    spots = [m.span() for m in re.finditer(r"\b(?:that|this|it)\b(?!')", masked, re.I)]
    return spots[-1] if spots else None


def points_at_it(sentence: str) -> bool:
    """"How sure are you about that number?", "Is that a hard limit?": something named only before
    (not "given that...", "I take it...", "these days", "this pilot"; "it" only in a short question,
    where it is seldom the empty "it" of "if it is not too much trouble")."""
    ws = set(words(_NOT_POINTING.sub(" ", sentence)))
    return bool(ws & {"that", "this"}) or ("it" in ws and len(words(sentence)) <= 8)


def presses_back(sentence: str) -> bool:
    """"Is that a hard limit?", "how sure are you about that number?": a question on something named
    only before, read with the question before it."""
    return points_at_it(sentence) and leans_back(sentence)


# "Even for a tiny pilot?", "What, even with two teams?": the fact just asked for, pressed for a smaller or other case
_EVEN = re.compile(r"^\W*(?:(?:and|but|so|what|ok(?:ay)?|hmm+|wait|really)\W+){0,2}even (?:for|with|if|in|on|at|just|when|during|a|an|the|one|two|tiny|small|only)\b", re.I)


def presses_even(sentence: str) -> bool:
    """"Even for a very small pilot?": a short question that presses the fact just asked for."""
    return bool(_EVEN.match(sentence)) and len(words(sentence)) <= 12


def names_them(sentence: str) -> bool:
    """"What were they nervous about?": people named only in what came before."""
    return bool(_THEY & set(words(sentence)))


_OF_THEM = re.compile(r"\b(?:what|which|where|when|how)\b[^?]*?\b(?:are|were|do|did|have|had|has|is|was)\s+they\b", re.I)


def asks_of_them(sentence: str) -> bool:
    """"What were they worried about when it was pitched?": a wh-question about what people named
    before think or do, which asks for it (not "who's gonna notice a few ms in their editor?")."""
    return bool(_OF_THEM.search(sentence))


def leans_back(sentence: str) -> bool:
    """A question read with the one before it (a short one always: "How much?", "Who decides?")."""
    if _NEW_SUBJECT.search(sentence) or asks_everything(sentence):
        return False
    ws = words(sentence)
    return len(ws) <= 5 or bool(_ELLIPSIS.match(sentence)) or bool(_BACK & set(ws))


_TIME_LEFT = re.compile(
    r"\bhow (?:much|many) (?:more )?(?:time|minutes?|mins?) (?:(?:do|have|did) )?(?:i|we|u)\b(?! (?:spend|spent|need|take|usually))"
    r"|\bhow (?:much|many) (?:more )?(?:time|minutes?|mins?) (?:is |are )?(?:left|remaining|remains?)\b"
    r"|\bhow long(?: do| have| did|'ve) (?:i|we|u) (?:got|have|get|left)\b|\bhow long (?:i|we) (?:have|got)\b"
    r"|\btime (?:left|check|remaining)\b|\b(?:how are we|are we (?:ok|okay|good)) (?:doing )?(?:on|for) time\b"
    r"|\bhow long (?:is|for) (?:this|the) (?:part|bit|section|round|interview|call|question|presentation|walkthrough)\b", re.I)


def asks_time_left(text: str) -> bool:
    """"How many minutes do I have left?", "How long have I got for this bit?", "time check?": the
    candidate asks how long is left, in words (the /time command's question)."""
    return any(is_question(s) and bool(_TIME_LEFT.search(s)) for s in sentences(text) or [text])


def asks_again(sentence: str) -> bool:
    """"Sorry, what was the limit again?": a request to hear something a second time."""
    return bool(_AGAIN.search(sentence))


def asks_everything(sentence: str) -> bool:
    """"Anything else I should know?", "tell me every constraint": a request for all of it."""
    return bool(_EVERYTHING.search(sentence))


_HOW_ARE_YOU = re.compile(r"^\W*(?:(?:so|and|hey|hi|oh|um+|anyway)[\s,]+)?(?:how(?:'s|s| is| are| was| were| have| has)?|you doing|doing)\b", re.I)


def is_how_are_you(sentence: str) -> bool:
    """Put like a how-are-you ("how's your week been?", "doing alright?"): with chatter-like words,
    small talk; with work words, a work question ("how's the data look?"): the caller decides."""
    return bool(_HOW_ARE_YOU.match(sentence))


def is_small_talk(sentence: str) -> bool:
    return bool(_SMALL_TALK.search(sentence))


_THANKS = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|great|perfect|brilliant|lovely|awesome|cool|nice|right|got it|understood|noted|super|wonderful|excellent)[\s,.!-]+)?"
    r"(?:thanks|thank you|thank u|thx|ty|tysm|cheers|ta|many thanks|much appreciated|appreciate (?:it|that|you)|"
    r"i (?:really )?appreciate|much obliged|grateful|merci|gracias|danke|obrigad[oa]|grazie|dankie|asante)\b",
    re.I,
)


def is_thanks(text: str) -> bool:
    """The candidate thanks the persona and asks nothing ("Thanks, that's helpful.", "Cheers for
    this, Jordan."): to be met with a you're-welcome, not a greeting."""
    sents = sentences(text) or [text]
    return bool(_THANKS.match(text)) and not any(is_question(s) for s in sents)


def is_pleasantry(text: str) -> bool:
    """A greeting, a how-are-you or thanks somewhere in the message (a short one is answered in kind)."""
    return any(is_small_talk(s) for s in sentences(text) or [text]) or is_thanks(text)


_SPEAKER = re.compile(r"\b(?:i|i'm|im|i've|me|my|mine|myself)\b", re.I)


_HOW_I_DID = re.compile(
    r"\b(?:how (?:am|did|have|was) i (?:doing|do|done|going|getting on|come across|been|coming across)|"
    r"(?:am|was|were) i (?:doin'?g?|on (?:the right )?track|making|getting|any good|close|convincing|bottling|nailing|way off|"
    r"off base|hitting|passing|failing|messing|screwing|blowing|botching|rambling|too)|"
    r"did i (?:do|convince|nail|pass|fail|make (?:sense|my point|it|a mess)|bomb|mess|blow|screw|botch|pull it off|get through)|"
    r"(?:was|is) (?:that|this|my \w+) (?:a pass|a fail|ok(?:ay)?|good|alright|all right|enough|any good|decent|convincing)\b"
    r"(?! (?:for|with|if|to|as|by)\b))",
    re.I)


def asks_how_they_did(sentence: str) -> bool:
    """"Did I do alright there?", "am I making a pig's ear of this?", "was that a pass or a polite
    fail?": the candidate asks to be judged (never "did I mention the budget?")."""
    return is_question(sentence) and bool(_HOW_I_DID.search(sentence))


def about_the_speaker(text: str) -> bool:
    """The message speaks of its writer ("am I doing alright?", "your estimate of my performance")."""
    return bool(_SPEAKER.search(text))


_SCOFF = re.compile(r"\b(?:really|surely|even|whatever|honestly|come on|nobody|no one|no-one|anyone|who cares|big deal|matter|"
                    r"bother|fuss|worry about|care about|just|simply|obviously|seriously)\b", re.I)


def sounds_dismissive(sentence: str) -> bool:
    """"does that really matter?", "surely we can go bigger?": said to wave something away, not to
    ask about it ("is there a limit on that?")."""
    return bool(_SCOFF.search(sentence))


def is_dismissal(sentence: str) -> bool:
    """Waves a concern away ("latency won't matter much", "let's just put everyone in")."""
    return bool(_DISMISS.search(sentence))


def is_done(text: str) -> bool:
    """The candidate says they have finished (their answer, their walkthrough)."""
    return bool(_DONE.search(text.strip()))


_CODE_REQUEST = re.compile(
    r"\b(write|code up|implement|draft|show me|give me|generate|can you (?:code|write)|let me see)\b.*"
    r"\b(code|function|method|class|skeleton|snippet|pipeline|split|fit|loop|features?|evaluation|script)\b",
    re.I | re.S,
)


def asks_for_code(text: str) -> bool:
    """"Write the full fit method", "give me the code for the split"."""
    return bool(_CODE_REQUEST.search(text))


_TAG = re.compile(r"\b(right|correct|yes|no|yeah|nah|innit|amirite|isn't it|is it not|doesn't it|won't it|ok|okay|agreed|"
                  r"non|n'est-ce pas|nicht wahr|ne|oder|niet|hai|ya|yah|true|"
                  r"does that work|is that fine|is that right|am i right)\s*\?\s*$", re.I)
_CONFIRM = re.compile(r"\b(correct me if|(?:is|was) (?:that|this) (?:right|correct|true|accurate|the correct understanding)|"
                      r"(?:hope|assume) (?:that )?(?:this|that) is (?:the )?(?:correct|right)|am i (?:right|correct|wrong|mistaken|off base)|"
                      r"am i (?:chat+in'?g?|talkin'?g?) (?:rubbish|nonsense|crap)|"
                      r"is (?:my|this|that|the) (?:assumption|understanding|premise|read|reading)(?: (?:about|of|on) [\w' ]{1,30})? "
                      r"(?:right|correct|sound|fair|accurate|true|valid|wrong)|"
                      r"is that a (?:fair|correct|right|accurate|safe) (?:read|reading|assumption|understanding|summary)|"
                      r"that'?s (?:right|correct|true|accurate) (?:about|abt) [\w' ]{1,30}\?|"
                      r"(?:is|are) (?:really|truly|actually) like (?:this|that)\s*\?|"
                      r"(?:is )?there (?:is )?(?:some|a|any) (?:limit|cap|catch|restriction|constraint)s? (?:that )?i (?:don't|do not) know)", re.I)
# "I'm assuming session lengths are pretty stable, yeah?": an assumption put up with a tag (not "I'm assuming latency
# won't matter, right?", which waves it away)
_ASSUMED = re.compile(r"\b(?:i'?m assuming|i assume|i presume|i take it|presumably)\b[^?]*,\s*(?:yeah|yes|right|correct|no|innit|eh|yah|ya)"
                      r"\s*\?\s*$", re.I)

# "There's no traffic limit or anything?", "Nobody's sweating anything?": a negative put as a question, to be
# corrected if wrong (not "Nobody cares about latency, right?", which waves it away with a tag)
_NEGATIVE_CHECK = re.compile(r"(?:^|[.!?]\s+)(?:(?:and|so|but|oh|also),?\s+)?(?:(?:there'?s|there is|there are|there're)\s+"
                             r"(?:no|not any|nothing)\b|(?:nobody|no one|no-one|nothing)\b)[^?.!]*\?\s*$", re.I)


def tag_stem(sentence: str) -> str | None:
    """The statement a tag question asks to confirm ("latency's solved now, right?" -> "latency's
    solved now"), or None without a tag."""
    m = _TAG.search(sentence.strip())
    if not m:
        return None
    stem = sentence.strip()[:m.start()].rstrip(" ,-\u2013\u2014")
    return stem if len(words(stem)) >= 3 else None


def checks_premise(text: str) -> bool:
    """A statement that ends by asking for confirmation ("..., that works, right?")."""
    return bool(_TAG.search(text.strip())) or asks_to_be_corrected(text)


def asks_to_be_corrected(text: str) -> bool:
    """Puts what it says up to be corrected, beyond a bare tag ("correct me if that's wrong", "is
    my assumption about the data sound?", "or is there some limit I don't know?", "there's no traffic
    limit or anything?")."""
    return (bool(_CONFIRM.search(text)) or (bool(_ASSUMED.search(text)) and not sounds_dismissive(text))
            or (bool(_NEGATIVE_CHECK.search(text.strip())) and not _TAG.search(text.strip())))
