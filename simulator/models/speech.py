"""Speech to text, offline, with the audio checks before it: whisper-base (the default when its
packages are installed: `simulator/models/whisper.py`) or Moonshine tiny-en run by onnxruntime (the
fallback, and what `engine="moonshine-tiny-en"` asks for).

whisper-base was chosen by measurement: 11.5% WER on the whole clean speech set against Moonshine's
19.0% (README, "Speaking your answers"; `python -m evals.speech`). It is prompted with the question
being answered (`context`) and reads a window again slowed to 0.8 when unsure (`read_window`).

Moonshine's weights ship inside the `moonshine-voice` 0.0.4 wheel (MIT): `encoder_model.ort`,
`decoder_model_merged.ort` and `tokenizer.bin`. Its own runtime library links to libraries the
wheel lacks, so the package is never imported: its two models run here on the onnxruntime the
project already uses, decoded by beam search (width 4) with the key/value cache. A window whose
first reading is unsure (SLOW_BELOW) is decoded again slowed to 0.8 of its speed (resampled, so its
pitch drops too), and the better-scored hypothesis kept: chosen on the speech set's tuning half, where it cut WER more
than beam 8 or rescoring with pocketsphinx's trigram LM.

    audio = load_audio("answer.wav")          # 16 kHz mono float32, checked and bounded
    heard = transcribe(audio, context=item.question)   # Transcription: text, segments, pauses, timing, model

Long audio is cut at its pauses (an energy detector over 30 ms frames) into segments of at most
`MAX_SEGMENT_S`, each decoded on its own; the same segments give the delivery figures their pauses.

Bad audio is a `UserError` with one line: not audio / corrupt, a format that needs ffmpeg, too big
(`MAX_BYTES`), too long (`MAX_SECONDS`), silent, or noise without speech. numpy, onnxruntime and
ctranslate2 load on first use, never at import.
"""

from __future__ import annotations

import importlib.util
import io
import shutil
import subprocess
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from pydantic import BaseModel, Field

from simulator.core.errors import ModelError, UserError
from simulator.models import whisper

if TYPE_CHECKING:
    import numpy as np

    from simulator.models.whisper import Whisper

MODEL = "moonshine-tiny-en"
RATE = 16_000
MAX_BYTES = 50 * 1024 * 1024  # a 10-minute 44.1 kHz 16-bit stereo WAV is ~100 MB; mono 16 kHz ~19 MB
MAX_SECONDS = 10 * 60.0
MIN_SECONDS = 0.3
MAX_SEGMENT_S = 20.0  # Moonshine was trained on clips up to ~30 s; shorter decodes better
FRAME_S = 0.03
PAD_S = 0.15  # silence kept around each speech segment (pauses are measured between these)
WINDOW_PAD_S = 0.5  # and around each window the model decodes: 0.15 s cost 2 points of WER
TOKENS_PER_SECOND = 6.5  # the model card's cap on decoded length, against runaway repetition
SOT, EOT = 1, 2
BEAM = 4  # beam width: 4 cut WER on the synthetic set from 22.1% to 17.1% at 9x real time (greedy is 1; README)
# each window is decoded again slowed to 0.8 of its speed (resampled, so its pitch drops too) and the
# better-scored hypothesis kept: on the tuning half of the speech set WER fell from 19.4% / 24.7% (150 /
# 210 wpm) to 16.4% / 19.6%, and on the test half from 17.8% / 26.1% to 17.1% / 22.9% (with SLOW_BELOW), at a
# third to half of the speed (README, "Speaking your answers")
SLOWED = (0.8,)
# ...only when the first reading's mean token log-probability is under this: on the tuning half the same
# WER with the slowed decode run on 53% of the audio instead of all of it (-0.3 starts to cost WER)
SLOW_BELOW = -0.25


class Audio(BaseModel):
    """Decoded audio: 16 kHz mono samples in [-1, 1]. `samples` is a numpy array (not serialised)."""

    model_config = {"arbitrary_types_allowed": True}

    source: str
    samples: Any = Field(repr=False, exclude=True)
    duration_s: float


class Segment(BaseModel):
    start_s: float
    end_s: float
    text: str = ""


class Transcription(BaseModel):
    """What the recogniser heard, with timing; stored on a spoken turn's `meta["speech"]`."""

    version: int = 1
    model: str = MODEL
    source: str = ""
    text: str
    duration_s: float
    segments: list[Segment] = Field(default_factory=list)
    seconds_to_transcribe: float = 0.0

    @property
    def speech_s(self) -> float:
        return sum(s.end_s - s.start_s for s in self.segments)

    def pauses(self) -> list[float]:
        """Silences between speech segments, in seconds (leading and trailing silence excluded)."""
        return [round(b.start_s - a.end_s, 2) for a, b in zip(self.segments, self.segments[1:], strict=False)]


# --- reading audio --------------------------------------------------------------------------------


def _fmt(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 60}:{s % 60:02d}"


def load_audio(source: str | Path | bytes, name: str | None = None) -> Audio:
    """Reads WAV (any PCM width, rate, channels); MP3, WebM, OGG, M4A through ffmpeg when it is installed.

    Raises UserError naming the file for anything that is not usable audio.
    """
    if isinstance(source, bytes):
        data, label = source, name or "recording"
    else:
        path = Path(source)
        label = name or str(path)
        if not path.is_file():
            raise UserError(f"{label}: no such audio file")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise UserError(f"{label}: {size / 1e6:.0f} MB is too big; the limit is {MAX_BYTES // (1024 * 1024)} MB ({_fmt(MAX_SECONDS)} of speech)")
        data = path.read_bytes()
    if len(data) > MAX_BYTES:
        raise UserError(f"{label}: {len(data) / 1e6:.0f} MB is too big; the limit is {MAX_BYTES // (1024 * 1024)} MB ({_fmt(MAX_SECONDS)} of speech)")
    if not data:
        raise UserError(f"{label}: the file is empty")
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        samples, rate = _read_wav(data, label)
    else:
        samples, rate = _read_other(data, label)
    return _finish(samples, rate, label)


def _read_wav(data: bytes, label: str) -> tuple[np.ndarray, int]:
    import numpy as np

    fmt = _wav_format(data)
    if fmt == 3:  # IEEE float: the stdlib reader refuses it, so read the chunks here
        return _read_float_wav(data, label)
    try:
        with wave.open(io.BytesIO(data)) as w:
            channels, width, rate, n = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
            if n / max(rate, 1) > MAX_SECONDS:
                raise UserError(f"{label}: {_fmt(n / rate)} long; the limit is {_fmt(MAX_SECONDS)}")
            raw = w.readframes(n)
    except UserError:
        raise
    except Exception as exc:  # wave raises wave.Error, EOFError, RuntimeError, struct.error on damage
        raise UserError(f"{label}: not a readable WAV file ({str(exc) or type(exc).__name__})") from None
    if width == 1:
        x = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        x = np.frombuffer(raw[: len(raw) // 2 * 2], dtype="<i2").astype(np.float32) / 32768.0
    elif width == 3:
        b = np.frombuffer(raw[: len(raw) // 3 * 3], dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        x = (np.where(v >= 1 << 23, v - (1 << 24), v)).astype(np.float32) / float(1 << 23)
    elif width == 4:
        x = np.frombuffer(raw[: len(raw) // 4 * 4], dtype="<i4").astype(np.float32) / float(1 << 31)
    else:
        raise UserError(f"{label}: WAV with {width * 8}-bit samples is not supported; use 16-bit PCM")
    if channels > 1:
        x = x[: len(x) // channels * channels].reshape(-1, channels).mean(axis=1)
    return x, rate


def _wav_format(data: bytes) -> int | None:
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "little")
        if cid == b"fmt " and pos + 10 <= len(data):
            tag = int.from_bytes(data[pos + 8:pos + 10], "little")
            if tag == 0xFFFE and pos + 34 <= len(data):  # WAVE_FORMAT_EXTENSIBLE: the subformat's tag
                tag = int.from_bytes(data[pos + 32:pos + 34], "little")
            return tag
        pos += 8 + size + (size & 1)
    return None


def _read_float_wav(data: bytes, label: str) -> tuple[np.ndarray, int]:
    import numpy as np

    pos, channels, rate, bits, samples = 12, 1, 0, 32, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "little")
        body = data[pos + 8:pos + 8 + size]
        if cid == b"fmt " and len(body) >= 16:
            channels = int.from_bytes(body[2:4], "little")
            rate = int.from_bytes(body[4:8], "little")
            bits = int.from_bytes(body[14:16], "little")
        elif cid == b"data":
            dtype = "<f4" if bits == 32 else "<f8"
            width = 4 if bits == 32 else 8
            samples = np.frombuffer(body[: len(body) // width * width], dtype=dtype).astype(np.float32)
        pos += 8 + size + (size & 1)
    if samples is None or not rate or not channels:
        raise UserError(f"{label}: not a readable WAV file (no fmt or data chunk)")
    if channels > 1:
        samples = samples[: len(samples) // channels * channels].reshape(-1, channels).mean(axis=1)
    return np.clip(samples, -1.0, 1.0), rate


def _read_other(data: bytes, label: str) -> tuple[np.ndarray, int]:
    import numpy as np

    head = data[:12]
    known = (head[:3] == b"ID3" or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2") or head[:4] == b"\x1a\x45\xdf\xa3"
             or head[:4] == b"OggS" or head[4:8] == b"ftyp" or head[:4] == b"fLaC")
    if not known:
        raise UserError(f"{label}: not an audio file mockpanel can read (WAV; MP3, WebM, OGG, M4A or FLAC with ffmpeg installed)")
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise UserError(f"{label}: MP3, WebM, OGG, M4A and FLAC need ffmpeg (apt-get install ffmpeg); WAV works without it")
    proc = subprocess.run(
        [ffmpeg, "-nostdin", "-v", "error", "-i", "pipe:0", "-t", str(MAX_SECONDS + 1), "-f", "f32le", "-ac", "1", "-ar", str(RATE), "pipe:1"],
        input=data, capture_output=True, timeout=120, check=False,
    )
    if proc.returncode != 0 or not proc.stdout:
        why = (proc.stderr.decode("utf-8", "replace").strip().splitlines() or ["no audio"])[-1]
        raise UserError(f"{label}: ffmpeg could not decode it ({why[:120]})")
    return np.frombuffer(proc.stdout, dtype="<f4").astype(np.float32), RATE


def _resample(x: np.ndarray, rate: int) -> np.ndarray:
    """To 16 kHz: a box low-pass then linear interpolation (good enough for speech recognition)."""
    import numpy as np

    if rate == RATE:
        return x
    if rate > RATE:
        k = int(round(rate / RATE))
        if k > 1:
            x = np.convolve(x, np.ones(k, dtype=np.float32) / k, mode="same")
    n = int(round(len(x) * RATE / rate))
    out: np.ndarray = np.interp(np.arange(n) * (rate / RATE), np.arange(len(x)), x).astype(np.float32)
    return out


def _finish(samples: np.ndarray, rate: int, label: str) -> Audio:
    if rate <= 0:
        raise UserError(f"{label}: the file says its sample rate is {rate}")
    seconds = len(samples) / rate
    if seconds > MAX_SECONDS:
        raise UserError(f"{label}: {_fmt(seconds)} long; the limit is {_fmt(MAX_SECONDS)}")
    if seconds < MIN_SECONDS:
        raise UserError(f"{label}: {seconds:.1f} s is too short to hold an answer")
    x = _resample(samples.astype("float32", copy=False), rate)
    return Audio(source=label, samples=x, duration_s=round(len(x) / RATE, 2))


# --- finding speech -------------------------------------------------------------------------------


def speech_segments(audio: Audio) -> list[Segment]:
    """Where the speech is: frames louder than the noise floor by 12 dB (and than -45 dBFS), gaps
    under 0.35 s bridged, blips under 0.2 s dropped, 0.15 s padding; pieces over MAX_SEGMENT_S are
    cut at their quietest frame. Raises UserError on silence or noise without speech."""
    import numpy as np

    x = audio.samples
    hop = int(RATE * FRAME_S)
    n = len(x) // hop
    frames = x[: n * hop].reshape(n, hop)
    db = 10 * np.log10(np.mean(frames * frames, axis=1) + 1e-10)
    peak = float(np.percentile(db, 95)) if n else -100.0
    if peak < -55:
        raise UserError(f"{audio.source}: no speech heard: the recording is silent (check the microphone)")
    floor = float(np.percentile(db, 10))
    if peak - floor < 10:
        raise UserError(f"{audio.source}: no speech heard: only steady noise (move away from the noise or closer to the microphone)")
    threshold = max(floor + 12.0, -45.0, peak - 35.0)
    loud = db > threshold
    spans: list[list[int]] = []
    for i, on in enumerate(loud):
        if on:
            if spans and i - spans[-1][1] <= int(0.35 / FRAME_S):
                spans[-1][1] = i + 1
            else:
                spans.append([i, i + 1])
    spans = [s for s in spans if s[1] - s[0] >= int(0.2 / FRAME_S)]
    if not spans:
        raise UserError(f"{audio.source}: no speech heard (only short sounds)")
    pad = int(PAD_S / FRAME_S)
    out: list[Segment] = []
    limit = int(MAX_SEGMENT_S / FRAME_S)
    for a, b in spans:
        a, b = max(0, a - pad), min(n, b + pad)
        while b - a > limit:  # cut at the quietest frame in the last third of the window
            lo = a + limit * 2 // 3
            cut = lo + int(np.argmin(db[lo:a + limit]))
            out.append(Segment(start_s=round(a * FRAME_S, 2), end_s=round(cut * FRAME_S, 2)))
            a = cut
        out.append(Segment(start_s=round(a * FRAME_S, 2), end_s=round(b * FRAME_S, 2)))
    return out


# --- the model ------------------------------------------------------------------------------------


def model_dir() -> Path:
    """The tiny-en weights inside the installed moonshine-voice wheel (found without importing it)."""
    spec = importlib.util.find_spec("moonshine_voice")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(MODEL, "the moonshine-voice package is not installed", "pip install --no-deps moonshine-voice==0.0.4")
    d = Path(next(iter(spec.submodule_search_locations))) / "assets" / "tiny-en"
    missing = [f for f in ("encoder_model.ort", "decoder_model_merged.ort", "tokenizer.bin") if not (d / f).is_file()]
    if missing:
        raise ModelError(MODEL, f"{', '.join(missing)} missing from {d}", "reinstall moonshine-voice==0.0.4 (the manylinux2014 wheel carries the weights)")
    return d


def read_vocab(path: Path) -> list[bytes]:
    """tokenizer.bin: per token a length (one byte, or two when the first is >= 128) then its bytes."""
    data = path.read_bytes()
    out: list[bytes] = []
    i = 0
    while i < len(data):
        n = data[i]
        i += 1
        if n >= 128:
            n = (n & 0x7F) | (data[i] << 7)
            i += 1
        out.append(data[i:i + n])
        i += n
    return out


class Moonshine:
    """The encoder and the merged decoder, loaded once per process (thread-safe; one decode at a time)."""

    name = MODEL

    def __init__(self, directory: Path | None = None) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise ModelError(MODEL, f"{exc.name} is not installed", "pip install onnxruntime numpy") from None
        from simulator.models.crossencoder import session_options

        d = directory or model_dir()
        opts = session_options()
        self.encoder = ort.InferenceSession(str(d / "encoder_model.ort"), sess_options=opts, providers=["CPUExecutionProvider"])
        self.decoder = ort.InferenceSession(str(d / "decoder_model_merged.ort"), sess_options=opts, providers=["CPUExecutionProvider"])
        self.past = [i.name for i in self.decoder.get_inputs() if i.name.startswith("past_key_values.")]
        self.layers = len({name.split(".")[1] for name in self.past})
        self.vocab = read_vocab(d / "tokenizer.bin")
        self.lock = threading.Lock()

    def decode_tokens(self, ids: list[int]) -> str:
        raw = b"".join(self.vocab[i] for i in ids if 3 <= i < len(self.vocab) and not self.vocab[i].startswith(b"<<"))
        return raw.decode("utf-8", "replace").replace("\u2581", " ").strip()

    def __call__(self, samples: np.ndarray, beam: int | None = None, slowed: tuple[float, ...] | None = None) -> str:
        """The words in one window of audio: decoded as recorded and, when that reading scores under
        SLOW_BELOW, again slowed to each of `slowed` (SLOWED by default); the best-scored hypothesis of all."""
        hyps = self.hypotheses(samples, beam)
        if best(hyps).score < SLOW_BELOW:  # a confident first reading is kept as it is
            for speed in SLOWED if slowed is None else slowed:
                hyps += self.hypotheses(_resample(samples, int(RATE * speed)), beam)
        return self.decode_tokens(best(hyps).ids)

    def hypotheses(self, samples: np.ndarray, beam: int | None = None) -> list[Hypothesis]:
        """Beam search over the decoder, the beam as its batch: the finished hypotheses (or, at the
        length cap, the live ones), each with its summed token log-probability."""
        import numpy as np

        width = max(1, beam or BEAM)
        x = samples.astype(np.float32)[None, :]
        mask = np.ones_like(x, dtype=np.int64)
        limit = max(8, int(len(samples) / RATE * TOKENS_PER_SECOND) + 4)
        with self.lock:
            hidden = self.encoder.run(None, {"input_values": x, "attention_mask": mask})[0]
            empty = np.zeros((1, 8, 0, hidden.shape[-1] // 8), dtype=np.float32)  # 8 heads of 36
            feeds: dict[str, Any] = {name: empty for name in self.past}
            seqs: list[list[int]] = [[]]
            scores = np.zeros(1, dtype=np.float64)
            tokens = [SOT]
            done: list[Hypothesis] = []
            for step in range(limit):
                n = len(seqs)
                feeds.update({
                    "input_ids": np.array(tokens, dtype=np.int64)[:, None],
                    "encoder_hidden_states": np.repeat(hidden, n, axis=0),
                    "encoder_attention_mask": np.repeat(mask, n, axis=0),
                    "use_cache_branch": np.array([step > 0]),
                })
                res = self.decoder.run(None, feeds)
                logits = res[0][:, -1, :].astype(np.float64)
                top = logits.max(axis=1, keepdims=True)
                logp = logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
                total = scores[:, None] + logp
                order = np.argsort(-total, axis=None)[: 2 * width]
                parents: list[int] = []
                nxt: list[int] = []
                new_scores: list[float] = []
                for flat in order:
                    p, t = divmod(int(flat), total.shape[1])
                    if t == EOT:
                        done.append(Hypothesis(logp=float(total[p, t]), ids=seqs[p]))
                    else:
                        parents.append(p)
                        nxt.append(t)
                        new_scores.append(float(total[p, t]))
                    if len(parents) == width:
                        break
                if len(done) >= width or not parents:
                    break
                idx = np.array(parents)
                for k in range(self.layers):
                    base = 1 + 4 * k
                    for j, part in enumerate(("decoder.key", "decoder.value", "encoder.key", "encoder.value")):
                        name = f"past_key_values.{k}.{part}"
                        # the cross-attention cache comes out on the first step only; later it is the input's
                        src = res[base + j] if j < 2 or step == 0 else feeds[name]
                        feeds[name] = np.take(src, idx, axis=0)
                seqs = [seqs[p] + [t] for p, t in zip(parents, nxt, strict=True)]
                scores = np.array(new_scores)
                tokens = nxt
            else:
                done.extend(Hypothesis(logp=float(sc), ids=sq) for sc, sq in zip(scores, seqs, strict=True))
        if not done:
            done.extend(Hypothesis(logp=float(sc), ids=sq) for sc, sq in zip(scores, seqs, strict=True))
        return done


Engine: TypeAlias = "Moonshine | Whisper"  # the two recognisers: a name, read_window, and their model


@dataclass
class Hypothesis:
    """One of the beam's token sequences and its summed log-probability (EOT included when finished)."""

    logp: float
    ids: list[int]

    @property
    def score(self) -> float:
        """Per token, the end counted as one: what the beam ranks finished hypotheses by."""
        return self.logp / (len(self.ids) + 1)


def best(hyps: list[Hypothesis]) -> Hypothesis:
    return max(hyps, key=lambda h: h.score)


_models: dict[str, Engine] = {}
_model_lock = threading.Lock()
ENGINES = (whisper.MODEL, MODEL)


def default_engine() -> str:
    """whisper-base when ctranslate2 and its weight packages are installed (the better by measurement:
    README, "Speaking your answers"), else Moonshine tiny-en."""
    return whisper.MODEL if whisper.available() else MODEL


def model(name: str | None = None) -> Engine:
    """The recogniser, loaded once per process: `name` one of ENGINES, the default when None."""
    name = name or default_engine()
    with _model_lock:
        if name not in _models:
            if name == MODEL:
                _models[name] = Moonshine()
            elif name == whisper.MODEL:
                _models[name] = whisper.Whisper()
            else:
                raise UserError(f"no speech engine {name!r}; one of {', '.join(ENGINES)}")
    return _models[name]


def read_window(m: Engine, samples: np.ndarray, context: str | None = None) -> str:
    """One window's words. Whisper is prompted with the context (the question being answered) and,
    when its reading scores under its SLOW_BELOW, reads the window again slowed to SLOWED, keeping
    the better-scored reading; Moonshine has no prompt and runs its own slowed decode."""
    if isinstance(m, Moonshine):
        return m(samples)
    text, score = m.read(samples, context)
    if score < whisper.SLOW_BELOW:
        again, second = m.read(_resample(samples, int(RATE * whisper.SLOWED)), context)
        if second > score:
            text = again
    return text


def transcribe(audio: Audio | str | Path | bytes, *, name: str | None = None, context: str | None = None,
               engine: str | None = None) -> Transcription:
    """The words in the audio, segment by segment. UserError on silence, noise or no words.

    `context`: what the speaker is answering (the item's question), which Whisper reads as the text
    before; never the answer itself. `engine`: one of ENGINES (the default: `default_engine()`)."""
    if not isinstance(audio, Audio):
        audio = load_audio(audio, name)
    segments = speech_segments(audio)
    m = model(engine)
    t0 = time.perf_counter()
    for window in windows(segments):
        # decoded with more silence around it than the segments keep (the pauses stay measured tight)
        a = max(0, int((window[0].start_s - WINDOW_PAD_S) * RATE))
        b = min(len(audio.samples), int((window[-1].end_s + WINDOW_PAD_S) * RATE))
        window[0].text = read_window(m, audio.samples[a:b], context)  # the window's words go on its first segment
    took = time.perf_counter() - t0
    text = " ".join(s.text for s in segments if s.text).strip()
    if not text:
        raise UserError(f"{audio.source}: no words recognised (speak closer to the microphone, or type your answer)")
    return Transcription(source=audio.source, model=m.name, text=text, duration_s=audio.duration_s, segments=segments,
                         seconds_to_transcribe=round(took, 3))


def windows(segments: list[Segment]) -> list[list[Segment]]:
    """Neighbouring segments decoded together while they span at most MAX_SEGMENT_S: the model
    does better with a sentence's context than with its pieces (measured: evals/speech.py)."""
    out: list[list[Segment]] = []
    for seg in segments:
        if out and seg.end_s - out[-1][0].start_s <= MAX_SEGMENT_S:
            out[-1].append(seg)
        else:
            out.append([seg])
    return out
