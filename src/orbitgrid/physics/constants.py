"""Physical constants shared by the physics modules, each with its source."""

from __future__ import annotations

# Earth's gravitational parameter, km^3/s^2 (WGS-84; REFERENCE.md).
MU_EARTH_KM3_S2 = 398600.4418
# WGS-84 equatorial radius, km (NIMA TR8350.2). SGP4 itself uses WGS-72, 6378.135 km.
R_EARTH_KM = 6378.137
# Second zonal harmonic, unnormalised (EGM; REFERENCE.md).
J2_EARTH = 1.08262668e-3
# Astronomical unit, km, exact by IAU 2012 Resolution B2.
AU_KM = 149_597_870.7
# Nominal solar radius, km, IAU 2015 Resolution B3.
R_SUN_KM = 695_700.0
# Total solar irradiance at 1 AU, W/m² (Kopp & Lean 2011, GRL 38, L01706).
SOLAR_CONSTANT_W_M2 = 1361.0
# Stefan-Boltzmann constant, W m^-2 K^-4 (CODATA 2018).
STEFAN_BOLTZMANN_W_M2_K4 = 5.670374419e-8
# Julian date of J2000.0, 2000-01-01 12:00 (Astronomical Almanac; Vallado 4th ed., ch. 3).
J2000_JD = 2451545.0
