"""Delivery figures for a spoken answer: the ones speech coaches report, beside the rubric grade.

    d = delivery(text, duration_s=74.0, pauses=[0.4, 2.6], target_minutes=2)
    d.wpm, d.fillers, d.long_pauses, d.length_ratio, d.notes

They describe how an answer was said, never what it said: they never change the rubric rating.
Words per minute are over the whole recording (pauses included), as coaches count them; 130-170 is
the usual conversational band. Fillers are counted on the transcript: um, uh, er, erm, hmm, you
know, basically, actually, literally, I mean, sort of, kind of, and "like" when set off by commas
(", like," is a filler; "I'd like a test" is not). A long pause is 2 s or more of silence between
speech segments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from simulator.content.rubric import Item
    from simulator.core.transcript import Turn
    from simulator.models.speech import Transcription

LONG_PAUSE_S = 2.0
#: Items whose response time is one answer's length (the video response, a presentation); in a
#: conversation it is the whole session's, so an answer is not measured against it.
ONE_ANSWER_KINDS = ("video_response", "presentation")
SLOW_WPM, FAST_WPM = 110.0, 180.0

FILLERS: tuple[str, ...] = ("um", "uh", "er", "erm", "hmm", "you know", "basically", "actually", "literally", "i mean", "sort of", "kind of")
_ALWAYS = re.compile(r"\b(?:umm+|um|uhh+|uh|erm|er|hmm+|mm+)\b", re.I)
_PHRASES = re.compile(r"\b(you know|basically|actually|literally|i mean|sort of|kind of)\b", re.I)
# "like" as a filler: set off by a comma or starting a clause ("like, the metric", "it was, like, slow")
_LIKE = re.compile(r"(?:^|[,.;:!?]\s*)like\s*,|,\s*like\b(?!\s+(?:a|an|the|this|that|to|it|i|we|you|they)\b)", re.I)
_WORD = re.compile(r"[A-Za-z0-9']+")


def _norm(found: str) -> str:
    f = found.lower()
    if re.fullmatch(r"um+", f):
        return "um"
    if re.fullmatch(r"uh+", f):
        return "uh"
    if re.fullmatch(r"hm+|mm+", f):
        return "hmm"
    return f


def count_fillers(text: str) -> dict[str, int]:
    """Filler words and phrases in a transcript, by kind (only kinds that occur)."""
    out: dict[str, int] = {}
    for m in _ALWAYS.finditer(text):
        key = _norm(m.group(0))
        out[key] = out.get(key, 0) + 1
    for m in _PHRASES.finditer(text):
        key = m.group(1).lower()
        out[key] = out.get(key, 0) + 1
    n_like = len(_LIKE.findall(text))
    if n_like:
        out["like"] = n_like
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


class Delivery(BaseModel):
    """How an answer was delivered; `version` bumps when a figure's definition changes."""

    version: int = 1
    words: int
    duration_s: float
    wpm: float | None = None
    fillers: dict[str, int] = Field(default_factory=dict)
    filler_count: int = 0
    fillers_per_100_words: float = 0.0
    pauses: int = 0
    long_pauses: list[float] = Field(default_factory=list)
    longest_pause_s: float = 0.0
    target_s: float | None = None
    length_ratio: float | None = None
    notes: list[str] = Field(default_factory=list)

    def lines(self) -> list[str]:
        """The figures as short lines (the terminal and the app's Feedback show the same)."""
        out = [f"{self.words} words in {self.duration_s:.0f} s" + (f": {self.wpm:.0f} words a minute" if self.wpm else "")]
        out.append("fillers: " + (", ".join(f"{k} ×{v}" for k, v in self.fillers.items()) if self.fillers else "none"))
        out.append(f"long pauses (2 s or more): {len(self.long_pauses)}" + (f", longest {self.longest_pause_s:.1f} s" if self.long_pauses else ""))
        if self.target_s and self.length_ratio is not None:
            out.append(f"length: {self.duration_s:.0f} s of a {self.target_s:.0f} s response time ({self.length_ratio:.0%})")
        return out


def delivery(text: str, duration_s: float, pauses: Sequence[float] = (), target_minutes: float | None = None) -> Delivery:
    """The figures for one answer (or several answers' words, durations and pauses added up)."""
    words = word_count(text)
    fillers = count_fillers(text)
    n_fill = sum(fillers.values())
    wpm = round(words / (duration_s / 60.0), 1) if duration_s > 0 and words else None
    long_pauses = [round(p, 1) for p in pauses if p >= LONG_PAUSE_S]
    target = target_minutes * 60.0 if target_minutes else None
    ratio = round(duration_s / target, 2) if target else None
    notes: list[str] = []
    if wpm is not None and duration_s >= 10:
        if wpm < SLOW_WPM:
            notes.append(f"{wpm:.0f} words a minute is slow; 130-170 is the usual conversational pace")
        elif wpm > FAST_WPM:
            notes.append(f"{wpm:.0f} words a minute is fast; slow down so each point lands")
    if words and n_fill / words > 0.03:
        notes.append(f"{n_fill} filler words ({100 * n_fill / words:.0f} per 100 words); a short silence works better")
    if long_pauses:
        notes.append(f"{len(long_pauses)} long pause{'s' if len(long_pauses) > 1 else ''} (longest {max(long_pauses):.1f} s)")
    if ratio is not None and target is not None:
        if ratio > 1.0:
            notes.append(f"ran {duration_s - target:.0f} s over the {target_minutes:g}-minute response time")
        elif ratio < 0.5:
            notes.append(f"used {ratio:.0%} of the {target_minutes:g}-minute response time; there was room to say more")
    return Delivery(
        words=words, duration_s=round(duration_s, 2), wpm=wpm, fillers=fillers, filler_count=n_fill,
        fillers_per_100_words=round(100 * n_fill / words, 1) if words else 0.0,
        pauses=len(pauses), long_pauses=long_pauses, longest_pause_s=round(max(pauses, default=0.0), 1),
        target_s=target, length_ratio=ratio, notes=notes,
    )


def target_for(item: Item | None) -> float | None:
    """The minutes an answer to this item should fill, where its response time means that."""
    if item is None or item.kind not in ONE_ANSWER_KINDS:
        return None
    return item.response_time_minutes


def from_transcription(heard: Transcription, target_minutes: float | None = None, text: str | None = None) -> Delivery:
    """Figures for a transcription; `text` is the transcript as sent, when the candidate edited it."""
    return delivery(text if text is not None else heard.text, heard.duration_s, heard.pauses(), target_minutes)


def spoken_turns(turns: Iterable[Turn]) -> list[Turn]:
    """The candidate's turns that were spoken (they carry `meta["speech"]`)."""
    return [t for t in turns if t.is_candidate and isinstance(t.meta.get("speech"), dict)]


def from_turns(turns: Iterable[Turn], target_minutes: float | None = None) -> Delivery | None:
    """The figures over all spoken turns of a transcript (None when nothing was spoken)."""
    spoken = spoken_turns(turns)
    if not spoken:
        return None
    text = " ".join(t.text for t in spoken)
    duration = sum(float(t.meta["speech"].get("duration_s") or 0.0) for t in spoken)
    pauses = [float(p) for t in spoken for p in t.meta["speech"].get("pauses") or []]
    return delivery(text, duration, pauses, target_minutes)
