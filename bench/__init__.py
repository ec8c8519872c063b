"""Benchmarks: ``make bench`` (never part of ``make test``). Each module has ``run() -> dict``."""
