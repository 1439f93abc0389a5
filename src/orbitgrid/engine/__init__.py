"""The discrete-event engine, its accounting and its self-checks."""

from orbitgrid.engine.run import RunResult, simulate

__all__ = ["RunResult", "simulate"]
