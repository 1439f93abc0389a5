"""Link geometry and propagation delay: pure functions of numpy arrays, no state, no I/O.

Units are in the names (km, deg, ms, us). Two Earth models are used on purpose:

* Great-circle (fibre) distances use a sphere of the IUGG mean radius R1 = 6371.0088 km
  (H. Moritz, "Geodetic Reference System 1980", Bulletin Géodésique 54, 1980; R1 = (2a + b) / 3).
  On the ground the haversine over that sphere is within 0.5% of the WGS-84 geodesic
  (Vincenty); far below the uncertainty of a fibre route factor.
* Ground-to-satellite geometry puts ground points on the WGS-84 ellipsoid (where the
  difference matters: up to 21 km of radius at high latitude, about 0.07 ms of slant
  delay) and satellites where ``physics.orbits`` propagates them (circular orbits of
  radius R_eq + h, R_eq = 6378.137 km, WGS-84). Elevation is measured from the local
  horizon plane of the ellipsoid (geodetic vertical).
* The closed forms for slant range and the longest laser link use a sphere of radius
  R_eq (``R_EARTH_KM``), as Hypatia does (Kassing et al., IMC 2020, with R = 6378.135 km).
"""

from __future__ import annotations

import numpy as np

from orbitgrid.physics.constants import R_EARTH_KM
from orbitgrid.physics.orbits import geodetic_to_ecef_km

# Speed of light in vacuum, km/s: exact by the SI definition of the metre (CGPM 1983).
C_KM_S = 299_792.458
# Delay of light in vacuum, microseconds per km: 1e6 / c = 3.33564 (REFERENCE.md: 3.336).
VACUUM_US_PER_KM = 1e6 / C_KM_S
# Delay of light in silica fibre, microseconds per km: n / c with group index n ~ 1.468
# gives 4.897; the issue and REFERENCE.md fix 4.90.
FIBRE_US_PER_KM = 4.90
# IUGG mean Earth radius R1, km (Moritz 1980, GRS 80): the sphere for great-circle distances.
R_EARTH_MEAN_KM = 6371.0088
# Lowest altitude a laser beam between satellites may graze, km: below it the atmosphere
# (refraction, absorption) spoils the link (Hypatia, Kassing et al. 2020, sec. 3; REFERENCE.md).
ISL_GRAZING_ALTITUDE_KM = 80.0


def great_circle_km(lat1_deg, lon1_deg, lat2_deg, lon2_deg, radius_km: float = R_EARTH_MEAN_KM) -> np.ndarray:
    """Great-circle distance by the haversine formula (R. W. Sinnott, "Virtues of the
    haversine", Sky & Telescope 68, 1984):

        a = sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2),   d = 2 R asin(√a)

    on a sphere of ``radius_km`` (default the IUGG mean radius). Broadcasts its inputs."""
    p1, p2 = np.radians(np.asarray(lat1_deg, dtype=np.float64)), np.radians(np.asarray(lat2_deg, dtype=np.float64))
    dlon = np.radians(np.asarray(lon2_deg, dtype=np.float64) - np.asarray(lon1_deg, dtype=np.float64))
    a = np.sin((p2 - p1) / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2.0) ** 2
    return 2.0 * radius_km * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def ground_ecef_km(lat_deg, lon_deg, alt_km=0.0, ellipsoid: bool = True) -> np.ndarray:
    """Earth-fixed positions (..., 3) of ground points, on the WGS-84 ellipsoid by default
    (``physics.orbits.geodetic_to_ecef_km``; ``ellipsoid=False`` for a sphere of R_eq)."""
    return geodetic_to_ecef_km(lat_deg, lon_deg, alt_km, ellipsoid=ellipsoid)


def local_up(lat_deg, lon_deg) -> np.ndarray:
    """Unit normal (..., 3) of the ellipsoid at geodetic (lat, lon): the local vertical,
    (cos φ cos λ, cos φ sin λ, sin φ) (Vallado 4th ed., ch. 3, SEZ frame)."""
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    lat, lon = np.broadcast_arrays(lat, lon)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)


def elevation_deg(ground_km: np.ndarray, up: np.ndarray, sat_km: np.ndarray) -> np.ndarray:
    """Elevation of satellites above the local horizon of ground points, deg:
    sin e = (r_sat - r_gs) · up / |r_sat - r_gs| (Vallado 4th ed., ch. 4, RAZEL). All three
    arrays broadcast over their leading axes and end in 3 (Earth-fixed, km)."""
    d = np.asarray(sat_km, dtype=np.float64) - np.asarray(ground_km, dtype=np.float64)
    rng = np.linalg.norm(d, axis=-1)
    return np.degrees(np.arcsin(np.clip(np.sum(d * up, axis=-1) / rng, -1.0, 1.0)))


def slant_range_km(elevation_deg_, altitude_km, earth_radius_km: float = R_EARTH_KM) -> np.ndarray:
    """Distance from a ground point to a satellite at ``altitude_km`` seen at elevation e,
    on a sphere of radius R (law of cosines in the Earth-centre / station / satellite
    triangle; Wertz & Larson, SMAD 3rd ed., sec. 5.2):

        d = √((R + h)² − R² cos² e) − R sin e

    90° gives h; 0° gives the horizon range √((R + h)² − R²)."""
    e = np.radians(np.asarray(elevation_deg_, dtype=np.float64))
    r = earth_radius_km + np.asarray(altitude_km, dtype=np.float64)
    return np.sqrt(r**2 - (earth_radius_km * np.cos(e)) ** 2) - earth_radius_km * np.sin(e)


def max_isl_length_km(altitude_km, grazing_altitude_km: float = ISL_GRAZING_ALTITUDE_KM,
                      earth_radius_km: float = R_EARTH_KM) -> np.ndarray:
    """Longest laser link between two satellites at ``altitude_km`` whose straight line
    stays above ``grazing_altitude_km``: the chord tangent to the sphere R + h_graze,

        L = 2 √((R + h)² − (R + h_graze)²)      (REFERENCE.md; Hypatia, IMC 2020)

    e.g. 5,016 km at 550 km."""
    r = earth_radius_km + np.asarray(altitude_km, dtype=np.float64)
    return 2.0 * np.sqrt(r**2 - (earth_radius_km + grazing_altitude_km) ** 2)


def vacuum_delay_ms(distance_km) -> np.ndarray:
    """One-way delay of light over ``distance_km`` of free space (laser and radio links), ms."""
    return np.asarray(distance_km, dtype=np.float64) * (VACUUM_US_PER_KM * 1e-3)


def fibre_delay_ms(distance_km, route_factor: float = 1.0) -> np.ndarray:
    """One-way delay over a fibre run of ``route_factor`` times ``distance_km`` (the
    great-circle distance; real routes are longer, route factors of 1.5-2 are common),
    at 4.90 us/km (REFERENCE.md), ms."""
    if route_factor < 1.0:
        raise ValueError(f"a fibre route factor below 1 is shorter than the great circle: {route_factor}")
    return np.asarray(distance_km, dtype=np.float64) * (route_factor * FIBRE_US_PER_KM * 1e-3)
