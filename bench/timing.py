"""Timing shared by the benchmarks."""

from __future__ import annotations

import statistics
import time
from typing import Callable


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """Run fn `runs` times; returns (p50, p95) in milliseconds."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(0.95 * len(samples)))]
