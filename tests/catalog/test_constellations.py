"""Constellation presets against the satellite counts of the filings they come from."""

from __future__ import annotations

from orbitgrid.catalog.constellations import load_constellation_presets
from orbitgrid.physics.orbits import walker_shell


def test_filed_satellite_counts():
    presets = load_constellation_presets()
    # FCC: Starlink Gen1 authorised 4,408 satellites (shells 72x22 at 550/540 km, 36x20 at 570 km,
    # 10x52 at 560 km); Kuiper authorised 3,236 (34x34 at 630 km, 36x36 at 610 km, 28x28 at 590 km)
    assert presets["starlink-gen1"].n_sat == 4408
    assert presets["kuiper"].n_sat == 3236
    first = presets["starlink-gen1"].shells[0]
    assert (first.altitude_km, first.inclination_deg, first.planes, first.sats_per_plane) == (550.0, 53.0, 72, 22)
    telesat = presets["telesat"].shells[0]
    assert (telesat.altitude_km, telesat.inclination_deg, telesat.planes, telesat.sats_per_plane) == (1015.0, 98.98, 27, 13)
    assert set(presets) >= {"starlink-gen1", "kuiper", "oneweb", "telesat", "boeing"}


def test_every_shell_builds_a_walker_pattern():
    for preset in load_constellation_presets().values():
        for s in preset.shells:
            shell = walker_shell(s.planes, s.sats_per_plane, s.phasing, s.inclination_deg, s.altitude_km)
            assert shell.n_sat == s.n_sat
