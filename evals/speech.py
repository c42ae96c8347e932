"""The speech test set and its eval: word error rate, speed, and filler counts, per recogniser.

    python -m evals.speech build [--n 48] [--dir evals/data/speech]   # needs espeak-ng and sox
    MOCKPANEL_THREADS=2 python -m evals.speech run [--half tune|test] [--clean] [--show] [--engine whisper|moonshine|pocketsphinx] [--no-context]

The set: 48 candidate answers from `evals/data/dev.jsonl` (12-35 words, no digits or symbols, so
the reference is what espeak-ng says), with 0-3 filler words inserted (um, uh, you know, basically,
", like,"), spoken by espeak-ng's en-us voice at 150 and 210 words a minute, 16 kHz mono 16-bit:
96 clips. The manifest (`evals/data/speech/manifest.jsonl`) holds every clip's text, truth and
sha256; only the first 8 answers' WAVs are committed (4.3 MB, what the tests use). `run` speaks the
missing clips first when espeak-ng and sox are installed (sox without dither, so an uncommitted
clip rebuilt on espeak-ng 1.51 is bit-exact: the sha256 is checked and a mismatch reported), and
otherwise evaluates the clips it has. The noisy condition is made at eval time: white noise added with numpy
at 10 dB SNR, seeded per clip.

Halves: answers 0-3 are TUNING, 4-7 TEST, 8-11 tuning and so on (both speeds of an answer on one
side, every filler count on each side). Anything about the recogniser is chosen on the tuning half;
the test half is read to report, and the two are reported apart.

Figures: WER (word-level edit distance over reference words, after lower-casing and dropping
punctuation) per half, condition and speed; x real time (seconds of audio / seconds transcribing,
with the process's threads, MOCKPANEL_THREADS), and the same per CPU second (all threads summed:
one free core's speed, whatever else loads the machine); filler count error against the truth
(the same counter on the reference text), and the share of clips within 1.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

DIR = Path(__file__).resolve().parent / "data" / "speech"
DEV = Path(__file__).resolve().parent / "data" / "dev.jsonl"
SPEEDS = (150, 210)
SNR_DB = 10.0
FILLER_FORMS = ("um,", "uh,", "you know,", "basically,", "like,")


HALVES = ("tune", "test")


class Clip(BaseModel):
    version: int = 2
    id: str
    source: str  # dev row id and turn index
    text: str  # what espeak-ng was given: the reference
    speed_wpm: int
    file: str
    fillers: int  # the truth: count_fillers(text)
    sha256: str = ""  # of the WAV as built; a rebuild on another espeak-ng may differ (reported, not fatal)
    half: str = "tune"  # "tune" or "test", by answer: both speeds of an answer are on the same side


def half_of(k: int) -> str:
    """Answers 0-3 tune, 4-7 test, 8-11 tune...: each half gets every filler count (0-3, from k % 4)."""
    return HALVES[(k // 4) % 2]


def _answers(n: int) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for line in DEV.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        for i, turn in enumerate(row["transcript"]["turns"]):
            text = " ".join(turn["text"].split())
            words = len(text.split())
            if turn["speaker"] != "candidate" or not 12 <= words <= 35 or text in seen:
                continue
            if re.search(r"[0-9%$&/()\"\u2018\u201c*#@+=<>\[\]_]", text):
                continue
            seen.add(text)
            out.append((f"{row['id']}#{i}", text))
    out.sort(key=lambda kv: hashlib.sha256(kv[1].encode()).hexdigest())
    return out[:n]


def with_fillers(text: str, k: int, rng: random.Random) -> str:
    """`text` with k fillers set between words (after a comma-free word boundary), as a speaker would."""
    words = text.split()
    spots = sorted(rng.sample(range(1, len(words)), min(k, len(words) - 1)), reverse=True)
    for s in spots:
        form = rng.choice(FILLER_FORMS)
        if not words[s - 1].endswith((",", ".", "?", "!", ":", ";")):
            words[s - 1] += ","
        words.insert(s, form)
    return " ".join(words)


def _tools() -> tuple[str, str] | None:
    espeak, sox = shutil.which("espeak-ng"), shutil.which("sox")
    return (espeak, sox) if espeak and sox else None


def speak(text: str, speed: int, path: Path, tools: tuple[str, str]) -> str:
    """espeak-ng's en-us voice to a 16 kHz mono 16-bit WAV (sox without dither: bit-exact on rebuild); its sha256."""
    espeak, sox = tools
    with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
        subprocess.run([espeak, "-v", "en-us", "-s", str(speed), "-w", tmp.name, text], check=True)
        subprocess.run([sox, "-D", tmp.name, "-r", "16000", "-c", "1", "-b", "16", str(path)], check=True)
    return sha256(path)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(n: int, out: Path) -> list[Clip]:
    """The first n answers, both speeds; a WAV already there is kept (the committed ones), the rest spoken."""
    from simulator.grading.delivery import count_fillers

    tools = _tools()
    if tools is None:
        raise SystemExit("building the speech set needs espeak-ng and sox: apt-get install espeak-ng sox")
    out.mkdir(parents=True, exist_ok=True)
    clips: list[Clip] = []
    for k, (source, text) in enumerate(_answers(n)):
        spoken = with_fillers(text, k % 4, random.Random(k))
        for speed in SPEEDS:
            cid = f"a{k:02d}-{speed}"
            path = out / f"{cid}.wav"
            digest = sha256(path) if path.is_file() else speak(spoken, speed, path, tools)
            clips.append(Clip(id=cid, source=source, text=spoken, speed_wpm=speed, file=path.name,
                              fillers=sum(count_fillers(spoken).values()), sha256=digest, half=half_of(k)))
    (out / "manifest.jsonl").write_text("".join(c.model_dump_json() + "\n" for c in clips), encoding="utf-8")
    size = sum((out / c.file).stat().st_size for c in clips)
    print(f"{len(clips)} clips, {size / 1e6:.1f} MB in {out}")
    return clips


def load(d: Path = DIR) -> list[Clip]:
    return [Clip.model_validate_json(line) for line in (d / "manifest.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def ensure(d: Path = DIR) -> list[Clip]:
    """The manifest's clips whose WAV is here, speaking the missing ones when espeak-ng and sox are
    installed (only the first 8 answers' WAVs are committed); a rebuilt clip whose sha256 differs
    from the manifest's (another espeak-ng) is kept and reported on stderr."""
    tools = _tools()
    here: list[Clip] = []
    for c in load(d):
        path = d / c.file
        if not path.is_file() and tools is not None:
            if speak(c.text, c.speed_wpm, path, tools) != c.sha256:
                print(f"  {c.id}: rebuilt, but its sha256 differs from the manifest's (another espeak-ng?)", file=sys.stderr)
        if path.is_file():
            here.append(c)
    if len(here) < len(load(d)):
        print(f"  {len(load(d)) - len(here)} clips missing (apt-get install espeak-ng sox to speak them)", file=sys.stderr)
    return here


def normalise(text: str) -> list[str]:
    text = text.lower().replace("-", " ").replace("\u2019", "'")
    return re.sub(r"[^a-z0-9' ]+", " ", text).split()


def word_errors(ref: str, hyp: str) -> tuple[int, int]:
    """(edits, reference words): Levenshtein distance over normalised words."""
    r, h = normalise(ref), normalise(hyp)
    prev = list(range(len(h) + 1))
    for i, rw in enumerate(r, 1):
        cur = [i] + [0] * len(h)
        for j, hw in enumerate(h, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (rw != hw))
        prev = cur
    return prev[-1], len(r)


def add_noise(samples, snr_db: float, seed: int):  # type: ignore[no-untyped-def]
    import numpy as np

    rng = np.random.default_rng(seed)
    power = float(np.mean(samples**2)) or 1e-8
    noise = rng.normal(0.0, (power / 10 ** (snr_db / 10)) ** 0.5, len(samples)).astype(np.float32)
    return np.clip(samples + noise, -1.0, 1.0).astype(np.float32)


def product_engine(name: str) -> Callable[..., str]:
    """The product's own transcribe() with engine `name`, given the clip's question as its context."""
    from simulator.models.speech import Audio, transcribe

    def run(samples, label: str, context: str | None = None) -> str:  # type: ignore[no-untyped-def]
        return transcribe(Audio(source=label, samples=samples, duration_s=len(samples) / 16000), context=context, engine=name).text

    return run


def moonshine_engine() -> Callable[..., str]:
    return product_engine("moonshine-tiny-en")


def whisper_engine() -> Callable[..., str]:
    return product_engine("whisper-base")


def questions(clips: list[Clip]) -> dict[str, str]:
    """Each clip's context as the product has it: the question of the item its answer was given to
    (the dev row's item, read through the product's own library loader); never the answer's text."""
    from simulator.content.library import load_library

    lib = load_library()
    items = {json.loads(line)["id"]: json.loads(line)["transcript"]["item"] for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()}
    return {c.id: lib.item(items[c.source.split("#")[0]]).question for c in clips}


def pocketsphinx_engine() -> Callable[..., str]:
    import numpy as np
    from pocketsphinx import Decoder  # not a dependency: pip install pocketsphinx==5.1.1 to compare

    decoder = Decoder(samprate=16000, loglevel="FATAL")

    def run(samples, label: str, context: str | None = None) -> str:  # type: ignore[no-untyped-def]
        pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        hyp = decoder.hyp()
        return hyp.hypstr if hyp else ""

    return run


ENGINES = {"whisper": whisper_engine, "moonshine": moonshine_engine, "pocketsphinx": pocketsphinx_engine}


def default_engine() -> str:
    """The product's default: whisper when its packages are installed, else moonshine."""
    from simulator.models.whisper import available

    return "whisper" if available() else "moonshine"


def evaluate(d: Path = DIR, engine: str | None = None, show: bool = False, snr_db: float = SNR_DB,
             halves: tuple[str, ...] = HALVES, conditions: tuple[str, ...] = ("clean", "noisy"),
             context: bool = True) -> dict[str, dict[str, float]]:
    """Figures per half, condition and speed (rows named like "test clean 150 wpm"); with `context`,
    each clip is transcribed knowing its item's question, as in the product."""
    from simulator.grading.delivery import count_fillers
    from simulator.models.speech import load_audio

    clips = [c for c in ensure(d) if c.half in halves]
    asked = questions(clips) if context else {}
    run = ENGINES[engine or default_engine()]()
    run(load_audio(d / clips[0].file).samples, "warm-up")
    rows: dict[str, dict[str, float]] = {}
    tally: dict[tuple[str, str], list[tuple[int, int, float, float, float, list[int]]]] = defaultdict(list)
    for half in halves:
        for cond in conditions:
            for speed in SPEEDS:
                edits = words = 0
                audio_s = took = cpu = 0.0
                fill_err: list[int] = []
                for c in (c for c in clips if c.speed_wpm == speed and c.half == half):
                    x = load_audio(d / c.file).samples
                    if cond == "noisy":
                        x = add_noise(x, snr_db, int(hashlib.sha256(c.id.encode()).hexdigest()[:8], 16))
                    t0, c0 = time.perf_counter(), time.process_time()
                    try:
                        hyp = run(x, c.id, asked.get(c.id))
                    except Exception as exc:  # a clip the recogniser gives up on counts as all words missed
                        hyp = ""
                        print(f"  {c.id} {cond}: {exc}", file=sys.stderr)
                    took += time.perf_counter() - t0
                    cpu += time.process_time() - c0
                    audio_s += len(x) / 16000
                    e, n = word_errors(c.text, hyp)
                    edits, words = edits + e, words + n
                    fill_err.append(abs(sum(count_fillers(hyp).values()) - c.fillers))
                    if show:
                        print(f"  {c.id} {cond} wer {e / n:.0%}\n    ref: {c.text}\n    hyp: {hyp}")
                if not fill_err:
                    continue
                rows[f"{half} {cond} {speed} wpm"] = figures(edits, words, audio_s, took, cpu, fill_err)
                tally[(half, cond)].append((edits, words, audio_s, took, cpu, fill_err))
    for cond in conditions:  # pooled over both speeds: per half, then the whole set
        for half in (*halves, "all") if len(halves) > 1 else halves:
            parts = [p for (h, c), ps in tally.items() if c == cond and half in (h, "all") for p in ps]
            if parts:
                rows[f"{half} {cond} pooled"] = figures(sum(p[0] for p in parts), sum(p[1] for p in parts), sum(p[2] for p in parts),
                                                        sum(p[3] for p in parts), sum(p[4] for p in parts), [e for p in parts for e in p[5]])
    return rows


def figures(edits: int, words: int, audio_s: float, took: float, cpu: float, fill_err: list[int]) -> dict[str, float]:
    """`x_real_time` by the wall clock (shared machines load it); `x_real_time_cpu` by the process's
    CPU seconds, all threads summed: what one free core would do, whatever the load."""
    return {
        "clips": len(fill_err), "wer": round(edits / max(words, 1), 4), "x_real_time": round(audio_s / max(took, 1e-9), 1),
        "x_real_time_cpu": round(audio_s / max(cpu, 1e-9), 1),
        "filler_mae": round(sum(fill_err) / max(len(fill_err), 1), 2),
        "fillers_within_1": round(sum(e <= 1 for e in fill_err) / max(len(fill_err), 1), 3),
    }


def print_table(engine: str, rows: dict[str, dict[str, float]]) -> None:
    from simulator.models.crossencoder import threads

    print(f"engine {engine}, {threads()} thread(s)")
    print(f"{'half, condition':<24} {'clips':>5} {'WER':>7} {'x real time':>12} {'x rt per core':>14} {'filler MAE':>11} {'fillers within 1':>17}")
    for name, r in rows.items():
        print(f"{name:<24} {r['clips']:>5} {r['wer']:>7.1%} {r['x_real_time']:>12.1f} {r['x_real_time_cpu']:>14.1f} {r['filler_mae']:>11.2f} {r['fillers_within_1']:>17.0%}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.speech", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="speak the set with espeak-ng")
    b.add_argument("--n", type=int, default=48)
    b.add_argument("--dir", type=Path, default=DIR)
    r = sub.add_parser("run", help="WER, speed and filler counts")
    r.add_argument("--dir", type=Path, default=DIR)
    r.add_argument("--engine", choices=sorted(ENGINES), help="default: the product's (whisper when installed, else moonshine)")
    r.add_argument("--no-context", action="store_true", help="transcribe without the item's question")
    r.add_argument("--show", action="store_true", help="print each reference and hypothesis")
    r.add_argument("--snr", type=float, default=SNR_DB, help="signal-to-noise ratio of the noisy condition, dB")
    r.add_argument("--half", choices=HALVES, help="only this half (default: both, reported apart)")
    r.add_argument("--clean", action="store_true", help="only the clean condition")
    r.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if args.cmd == "build":
        build(args.n, args.dir)
        return 0
    rows = evaluate(args.dir, args.engine, args.show, args.snr, (args.half,) if args.half else HALVES,
                    ("clean",) if args.clean else ("clean", "noisy"), not args.no_context)
    engine = args.engine or default_engine()
    if args.json:
        print(json.dumps({"engine": engine, "rows": rows}, indent=2))
    else:
        print_table(engine, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
