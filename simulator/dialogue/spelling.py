"""Spelling: a candidate's typos and text-speak mended before a persona reads what was asked.

People type fast in a chat ("whats the budjet for the llm calls", "sory, can u repeat what they
were worreid about?"). A misspelt word is cut by the encoder's tokenizer into pieces that mean
nothing, so the question reads as being about nothing. A word is mended only when it is unknown
(neither an English word of the encoder's vocabulary nor a word of the persona's own text) and one
edit (a letter dropped, added, changed or two swapped) away from a word of the persona's own text,
the subject matter a question to it is about: a doubled letter typed once or two letters swapped
first, else the commonest such word; a tie, or a short word only a changed letter away, is left as
typed. A handful of chat abbreviations ("u", "abt", "pls") are spelt out. What is stored, shown and
quoted back is always what the candidate typed.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"

# Chat shorthand, spelt out (general English, not any persona's subject matter).
SHORTHAND = {
    "u": "you", "ur": "your", "abt": "about", "pls": "please", "plz": "please", "thx": "thanks",
    "wat": "what", "wut": "what", "whats": "what's", "hows": "how's", "dont": "don't", "doesnt": "doesn't",
    "cant": "can't", "wont": "won't", "isnt": "isn't", "im": "I'm", "ive": "I've", "b4": "before",
    "bc": "because", "cuz": "because", "coz": "because", "tho": "though",
    "thru": "through", "ppl": "people", "govt": "government", "msg": "message", "rn": "right now",
    "idk": "I don't know", "imo": "in my opinion", "btw": "by the way", "any1": "anyone", "some1": "someone",
    "every1": "everyone", "2day": "today", "tmrw": "tomorrow", "calc": "calculation", "calcs": "calculations",
    "thats": "that's", "theres": "there's", "youre": "you're", "theyre": "they're", "whos": "who's",
    "wheres": "where's", "didnt": "didn't", "wasnt": "wasn't", "arent": "aren't", "shouldnt": "shouldn't",
    "wouldnt": "wouldn't", "couldnt": "couldn't", "hasnt": "hasn't", "havent": "haven't",
    "wk": "week", "wks": "weeks", "mins": "minutes",
}
_SHORT = re.compile(r"(?<![\w'/])(" + "|".join(re.escape(k) for k in sorted(SHORTHAND, key=len, reverse=True)) + r")(?![\w'/])", re.I)


@lru_cache(maxsize=1)
def english() -> frozenset[str]:
    """The whole words of the encoder's WordPiece vocabulary (about 22,000 common English words)."""
    from simulator.models.embedding import TOKENIZER_PATH

    try:
        vocab = json.loads(TOKENIZER_PATH.read_text(encoding="utf-8"))["model"]["vocab"]
    except (OSError, ValueError, KeyError):
        return frozenset()
    return frozenset(w for w in vocab if w.isalpha() and not w.startswith("##"))


def _edits(word: str) -> set[str]:
    """Every string one edit away (Norvig's: deletes, swaps of neighbours, changes, inserts)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    out |= {a + c + b for a, b in splits for c in _LETTERS}
    return out


def _forms(a: str, b: str) -> bool:
    """A letter more or less at the end: another form of the word ("completions"), not a typo."""
    return a.startswith(b) or b.startswith(a)


def _doubled(typed: str, word: str) -> bool:
    """`word` is `typed` with one of its letters doubled."""
    return len(word) == len(typed) + 1 and any(
        word[i] == word[i + 1] and word[:i] + word[i + 1:] == typed for i in range(len(word) - 1))


def _swapped(typed: str, word: str) -> bool:
    """`word` is `typed` with two neighbouring letters swapped."""
    return len(word) == len(typed) and any(
        typed[:i] + typed[i + 1] + typed[i] + typed[i + 2:] == word for i in range(len(typed) - 1))


class Speller:
    """Mends a message against one persona's subject matter (`texts`: its cues and lines)."""

    MIN_LENGTH = 4  # "teh" is not worth the risk of "tea"; "budjet", "sory" and "rolout" are

    def __init__(self, texts: Iterable[str]) -> None:
        counts = Counter(w.lower() for t in texts for w in _WORD.findall(t))
        self.domain = {w: n for w, n in counts.items() if len(w) >= self.MIN_LENGTH - 1}
        english_words = english()
        # the persona's own text has typos too (cues written in a hurried voice): a word no
        # dictionary holds, one edit from a commoner word of the same text, is not a known word
        self.known = english_words | {w for w in counts if w not in english_words and not self._is_typo(w)}

    @staticmethod
    @lru_cache(maxsize=16)
    def of(texts: tuple[str, ...]) -> Speller:
        """One speller per body of text, shared by every session that reads it: building one looks at
        every word one edit away from every other (0.17 s for Jordan Lee's 6,000 lines, paid on the
        first reply of each session before this)."""
        return Speller(texts)

    def _near(self, w: str) -> list[str]:
        """The words of the persona's text one edit from `w` that are not another form of it."""
        return [c for c in _edits(w) if c in self.domain and not _forms(w, c)]

    def _is_typo(self, w: str) -> bool:
        if len(w) < self.MIN_LENGTH or not w.isalpha():
            return False
        n = self.domain.get(w, 0)
        return any(self.domain[c] > n for c in self._near(w))

    def word(self, w: str) -> str:
        """The word, or the one word of the subject matter it is a typo of."""
        low = w.lower()
        if len(low) < self.MIN_LENGTH or low in self.known or not low.isalpha():
            return w
        near = [c for c in self._near(low) if c in self.known]
        if not near:
            return w
        # a doubled letter typed once ("sory", "rolout") or two letters swapped ("worreid") is the
        # likeliest slip: such a word wins over a commoner one a changed letter away ("sort")
        slips = [c for c in near if _doubled(low, c) or _swapped(low, c)]
        if not slips and len(low) < 5:
            return w  # a short word a changed letter away from another is as likely a word of its own ("calc")
        near = slips or near
        best = max(near, key=lambda c: self.domain[c])
        if sum(self.domain[c] == self.domain[best] for c in near) > 1:
            return w  # two words as likely: leave it as typed
        return best

    def correct(self, text: str) -> str:
        text = _SHORT.sub(lambda m: SHORTHAND[m.group(1).lower()], text)
        return _WORD.sub(lambda m: self.word(m.group(0)), text)
