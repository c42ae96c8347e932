"""A spoken answer: the audio heard, kept, and described, for the terminal and the app alike.

    heard = hear(path_or_bytes, name=..., target_minutes=item.response_time_minutes, question=item.question)
    heard.transcription.text, heard.delivery.wpm
    session.respond(edited_text, meta={"speech": heard.meta(audio_ref, sent_text=edited_text)})

A spoken turn keeps `meta["speech"]` (version 1): the audio's reference (its path), its duration,
the pauses between speech segments, the model, the transcript as heard (the text sent may have
been edited), the time transcription took, and the delivery figures for the text as sent. The
delivery figures never touch the rubric grade.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.core.errors import UserError
from simulator.grading.delivery import Delivery, from_transcription

if TYPE_CHECKING:
    from simulator.models.speech import Transcription


@dataclass
class Heard:
    transcription: Transcription
    delivery: Delivery
    target_minutes: float | None = None

    def meta(self, audio: str | None, sent_text: str | None = None) -> dict[str, Any]:
        """What the turn keeps; the figures are recomputed for the text as sent (edits count)."""
        t = self.transcription
        sent = t.text if sent_text is None else sent_text
        figures = self.delivery if sent == t.text else from_transcription(t, self.target_minutes, sent)
        return {"speech": {
            "version": 1, "audio": audio, "model": t.model, "duration_s": t.duration_s,
            "pauses": t.pauses(), "heard": t.text, "edited": sent.strip() != t.text.strip(),
            "seconds_to_transcribe": t.seconds_to_transcribe,
            "delivery": figures.model_dump(),
        }}


def hear(source: str | Path | bytes, *, name: str | None = None, target_minutes: float | None = None,
         question: str | None = None) -> Heard:
    """Transcribes one recording (UserError, one line, on bad audio) and measures its delivery.
    `question`: what the recording answers (the item's question), which the recogniser reads as context."""
    from simulator.models.speech import transcribe

    t = transcribe(source, name=name, context=question)
    return Heard(t, from_transcription(t, target_minutes), target_minutes)


def audio_dir() -> Path:
    """Where the app keeps recordings: beside the SQLite database, else in the user's data dir."""
    from simulator.core.settings import get_settings

    db = get_settings().db
    if "://" not in db:
        return Path(db).expanduser().resolve().parent / "audio"
    from platformdirs import user_data_dir

    return Path(user_data_dir("mockpanel")) / "audio"


def keep_audio(data: bytes, session_id: str, suffix: str = ".wav") -> Path:
    """Saves a recording for its session; the turn refers to it by path."""
    d = audio_dir() / session_id
    try:
        d.mkdir(parents=True, exist_ok=True)
        path = d / f"{uuid.uuid4().hex[:12]}{suffix}"
        path.write_bytes(data)
    except OSError as exc:
        raise UserError(f"{d}: could not keep the recording ({exc.strerror or exc})") from None
    return path
