"""Speech-to-text benchmark: each recogniser (whisper-base when installed, then Moonshine tiny-en) on
the committed clips of the speech set (evals/data/speech).

    python -m benchmarks.bench_speech

Figures (targets from issue 15): model load time; x real time (seconds of audio per second of
transcribing; target >= 3 on 2 cores) with 1 and 2 threads (MOCKPANEL_THREADS); the time for a 2-minute
answer (the video response's limit, at the default 1 thread), made by joining clips; peak memory.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    import numpy as np

    from evals.speech import DIR, load
    from simulator.models import speech

    clips = [c for c in load(DIR) if c.id < "a08"]  # the committed clips (8 answers x 2 speeds)
    audio = [speech.load_audio(DIR / c.file) for c in clips]
    total = sum(a.duration_s for a in audio)
    pause = np.zeros(int(speech.RATE * 0.8), dtype=np.float32)
    joined = np.concatenate([x for a in audio for x in (a.samples, pause)])[: speech.RATE * 120]
    two = speech.Audio(source="2-minute answer", samples=joined, duration_s=len(joined) / speech.RATE)
    question = "How would you monitor a model in production?"
    engines = [speech.default_engine()] + ([speech.MODEL] if speech.default_engine() != speech.MODEL else [])
    for engine in engines:
        for threads in (2, 1):  # the default (1, MOCKPANEL_THREADS unset) last: the 2-minute answer uses it
            os.environ["MOCKPANEL_THREADS"] = str(threads)
            speech._models.pop(engine, None)
            t0 = time.perf_counter()
            speech.model(engine)
            load_s = time.perf_counter() - t0
            speech.transcribe(audio[0], engine=engine, context=question)  # warm-up
            t0 = time.perf_counter()
            for a in audio:
                speech.transcribe(a, engine=engine, context=question)
            took = time.perf_counter() - t0
            print(f"{engine}, threads {threads}: load {load_s:.2f} s; {len(audio)} clips, {total:.0f} s of audio in {took:.1f} s = {total / took:.1f}x real time")
        t0 = time.perf_counter()
        heard = speech.transcribe(two, engine=engine, context=question)
        took = time.perf_counter() - t0
        print(f"{engine}: a {two.duration_s:.0f} s answer: {took:.1f} s ({two.duration_s / took:.1f}x real time), {len(heard.text.split())} words, {len(heard.segments)} segments")
        print(f"peak resident memory so far: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    os.environ.pop("MOCKPANEL_THREADS", None)


if __name__ == "__main__":
    main()
