"""`orbitgrid orbit` against the closed forms it must agree with."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from orbitgrid.orbit_summary import orbit_summary
from orbitgrid.physics.sun import critical_beta_rad, eclipse_fraction_cylindrical

KEYS = {"period_min", "beta_min_deg", "beta_max_deg", "sunlit_fraction", "sunlit_fraction_conical",
        "max_eclipse_min", "eclipse_days"}


@pytest.mark.parametrize("beta_deg", [0.0, 30.0, 60.0])
def test_fixed_beta_matches_the_closed_form(beta_deg):
    # REFERENCE.md / Vallado: f = acos(sqrt(h² + 2Rh) / ((R+h) cos β)) / π; 5 s steps over a day
    s = orbit_summary(550.0, 53.0, days=1.0, step_s=5.0, beta_deg=beta_deg)
    f = float(eclipse_fraction_cylindrical(550.0, np.radians(beta_deg)))
    assert s["sunlit_fraction"] == pytest.approx(1 - f, abs=2e-3)
    assert s["sunlit_fraction_conical"] == pytest.approx(s["sunlit_fraction"], abs=1e-3)
    assert s["max_eclipse_min"] == pytest.approx(f * s["period_min"], abs=5 / 60 + 1e-9)
    assert s["beta_min_deg"] == pytest.approx(beta_deg) and s["eclipse_days"] == 1


def test_above_critical_beta_never_dark():
    beta = np.degrees(float(critical_beta_rad(550.0))) + 2
    s = orbit_summary(550.0, 53.0, days=2.0, beta_deg=beta)
    assert s["sunlit_fraction"] == 1.0 and s["eclipse_days"] == 0 and s["max_eclipse_min"] == 0.0


def test_dawn_dusk_sso_has_one_eclipse_season_around_june():
    # A dawn-dusk orbit is not free of eclipses (REFERENCE.md): around the June solstice
    # beta falls below the critical angle. 650 km: i = 97.99°, β* = 65.2°.
    s = orbit_summary(650.0, None, ltan_h=18.0, start="2026-01-01", days=365.0, step_s=60.0)
    assert s["inclination_deg"] == pytest.approx(97.99, abs=0.01)
    assert s["beta_min_deg"] < s["critical_beta_deg"] < s["beta_max_deg"]
    assert 60 < s["eclipse_days"] < 120
    assert s["sunlit_fraction"] > 0.95 and 15 < s["max_eclipse_min"] < 25
    winter = orbit_summary(650.0, None, ltan_h=18.0, start="2026-12-01", days=20.0, step_s=60.0)
    assert winter["eclipse_days"] == 0 and winter["sunlit_fraction"] == 1.0


def test_cli_json_and_bad_input(tmp_path):
    run = [sys.executable, "-m", "orbitgrid", "orbit"]
    done = subprocess.run(run + ["--altitude-km", "550", "--inclination-deg", "53", "--days", "2", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert KEYS <= set(data)
    assert data["period_min"] == pytest.approx(95.65, abs=0.01)
    for args, field in [(["--altitude-km", "550"], "--inclination-deg/--sso"),
                        (["--altitude-km", "50", "--sso"], "--altitude-km"),
                        (["--altitude-km", "550", "--sso", "--start", "soon"], "--start"),
                        (["--altitude-km", "550", "--inclination-deg", "53", "--shield-mm", "40"], "--shield-mm")]:
        bad = subprocess.run(run + args, capture_output=True, text=True, timeout=60)
        assert bad.returncode == 2 and bad.stderr.startswith(f"orbit: {field}:"), (args, bad.stderr)
        assert "Traceback" not in bad.stderr
