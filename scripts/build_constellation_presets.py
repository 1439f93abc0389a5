"""Build the packaged Walker-shell presets from StarPerf's constellation files.

    python scripts/build_constellation_presets.py ../shared/data/orbit

Reads `starperf_shells_<Name>.xml` (SpaceNetLab/StarPerf_Simulator, BSD-2-Clause; shell
parameters from the operators' FCC and ITU filings) and writes
`src/orbitgrid/catalog/constellations.yaml`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from orbitgrid.physics.orbits import read_starperf_shells

OUT = Path(__file__).resolve().parents[1] / "src/orbitgrid/catalog/constellations.yaml"
PRESETS = {  # preset name: (StarPerf file stem, what the shells are)
    "starlink-gen1": ("Starlink", "SpaceX Starlink first generation, FCC authorisation (4,408 satellites)"),
    "kuiper": ("Kuiper", "Amazon Project Kuiper, FCC authorisation of 2020 (3,236 satellites)"),
    "oneweb": ("OneWeb", "OneWeb phase 1 polar shell"),
    "telesat": ("Telesat", "Telesat Lightspeed LEO filing: polar and inclined shells"),
    "boeing": ("Boeing", "Boeing V-band NGSO filing"),
}


def main(folder: str) -> None:
    presets = {}
    for name, (stem, about) in PRESETS.items():
        shells = read_starperf_shells((Path(folder) / f"starperf_shells_{stem}.xml").read_text(encoding="utf-8"))
        presets[name] = {
            "description": about,
            "source": f"StarPerf_Simulator config/XML_constellation/{stem}.xml (SpaceNetLab, BSD-2-Clause)",
            "shells": [
                {"altitude_km": s["altitude_km"], "inclination_deg": s["inclination_deg"], "planes": s["planes"],
                 "sats_per_plane": s["sats_per_plane"], "phasing": s["phase_shift"]}
                for s in shells
            ],
        }
    header = "# Walker-delta shells of public constellation filings. Built by scripts/build_constellation_presets.py.\n"
    OUT.write_text(header + yaml.safe_dump({"version": 1, "presets": presets}, sort_keys=False), encoding="utf-8")
    print(f"wrote {len(presets)} presets to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
