"""Benchmarks: each `bench_*.py` module has a `main()` that prints figures (no asserts, no pass/fail).

Run them all with `python -m benchmarks`, or some with `python -m benchmarks seam grader`.
"""
