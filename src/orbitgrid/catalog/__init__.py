"""Packaged data with provenance: accelerators now; launchers, ground stations, cities later."""

from orbitgrid.catalog.accelerators import Accelerator, SourcedRange, SourcedValue, load_accelerators

__all__ = ["Accelerator", "SourcedRange", "SourcedValue", "load_accelerators"]
