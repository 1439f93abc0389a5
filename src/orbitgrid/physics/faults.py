"""Fault models for compute satellites: where the South Atlantic Anomaly is, how many
single-event upsets a GPU takes, and when GPUs and buses fail for good (what a fault
costs the work on it is the engine's: engine/simulator.py). Pure numpy functions; every random draw comes from the caller's
``numpy.random.Generator`` so fault schedules are reproducible from a seed.

Units: angles in degrees, rates per GPU-day or per year as named, times in seconds or
years as named, dose in krad(Si).
"""

from __future__ import annotations

import math

import numpy as np

# --- South Atlantic Anomaly -----------------------------------------------------------

# Centre: the Aeros A/B satellites saw the SAA centred near 30 S, 40 W at 700-800 km over
# January 1973 - August 1974 (Knoll, Holzer & Schmidtke 1977, "Spatial shift of the South
# Atlantic Anomaly", JGR 82(32), 5281), i.e. epoch 1973.8.
SAA_CENTRE_LAT_DEG = -30.0
SAA_CENTRE_LON_DEG_AT_EPOCH = -40.0
SAA_CENTRE_EPOCH_YEAR = 1973.8
# Westward drift, deg/year: about 0.3 (Fuerst et al. 2009, "Temporal variations of strength
# and location of the South Atlantic Anomaly as measured by RXTE", ~540 km, 1996-2007);
# NOAA-15 SEM-2 protons show about 7 deg west over 1998-2022 (Ginisty et al., EGU23-12704),
# 0.29 deg/year. The latitude drift is smaller and not modelled.
SAA_DRIFT_DEG_PER_YEAR = 0.3
# Shape: the ellipse with the same area and second moments as the region where the AP8-MIN
# integral flux of >30 MeV protons is at least 10 cm^-2 s^-1 at 550 km (IRBEM through the
# `aep8` 1.1.0 package; the moment-matched ellipse overlaps that region with
# intersection-over-union 0.85). Derived here; AP8 uses its 1960s field, so the shape is
# that epoch's and the present SAA, which has grown as the field weakened, is somewhat larger.
# Semi-axis along (tilted) longitude, along latitude, and tilt of the long axis from east
# (counter-clockwise, deg).
SAA_SEMI_AXIS_LON_DEG = 49.3
SAA_SEMI_AXIS_LAT_DEG = 23.7
SAA_TILT_DEG = -5.7
DEFAULT_EPOCH_YEAR = 2026.0


def saa_centre_deg(epoch_year: float = DEFAULT_EPOCH_YEAR) -> tuple[float, float]:
    """(lat_deg, lon_deg) of the SAA centre at `epoch_year`: the Aeros 1973-74 centre moved
    west at SAA_DRIFT_DEG_PER_YEAR."""
    lon = SAA_CENTRE_LON_DEG_AT_EPOCH - SAA_DRIFT_DEG_PER_YEAR * (epoch_year - SAA_CENTRE_EPOCH_YEAR)
    return SAA_CENTRE_LAT_DEG, (lon + 180.0) % 360.0 - 180.0


def in_saa(lat_deg: np.ndarray | float, lon_deg: np.ndarray | float, epoch_year: float = DEFAULT_EPOCH_YEAR) -> np.ndarray:
    """True where (lat_deg, lon_deg) lies inside the SAA ellipse of LEO altitudes (~500-650
    km) at `epoch_year`; longitudes in any 360-degree convention. Broadcasts."""
    lat0, lon0 = saa_centre_deg(epoch_year)
    dlon = (np.asarray(lon_deg, dtype=float) - lon0 + 180.0) % 360.0 - 180.0
    dlat = np.asarray(lat_deg, dtype=float) - lat0
    c, s = math.cos(math.radians(SAA_TILT_DEG)), math.sin(math.radians(SAA_TILT_DEG))
    along = dlon * c + dlat * s
    across = -dlon * s + dlat * c
    return (along / SAA_SEMI_AXIS_LON_DEG) ** 2 + (across / SAA_SEMI_AXIS_LAT_DEG) ** 2 <= 1.0


# --- single-event upsets ----------------------------------------------------------------

# Events that stop a training step, per rad(Si), from Google's Trillium TPU proton tests
# (Project Suncatcher, arXiv 2511.19468), as transcribed in a secondary summary of the paper
# (not checked against the paper's own table): HBM uncorrectable ECC error 1 per 50 rad,
# core logic / SRAM event 1 per 150 rad, host CPU crash 1 per 450 rad, RAM SEFI 1 per
# 400 rad, system-level SEFI 1 per 5 krad.
INTERRUPTS_PER_RAD = 1 / 50 + 1 / 150 + 1 / 450 + 1 / 400 + 1 / 5000
# The Suncatcher dose the rates were quoted against: 750 rad(Si) per 5 years, shielded, at
# 650 km sun-synchronous (REFERENCE.md; arXiv 2511.19468).
SUNCATCHER_DOSE_RAD_PER_YEAR = 750.0 / 5.0
# Orbit-mean interrupting upsets per GPU-day at that dose: 4.74 a year, 0.0130 a day. Taken
# for a GPU as for a TPU (assumed: no comparable published figure for a datacentre GPU).
MEAN_SEU_RATE_PER_GPU_DAY = INTERRUPTS_PER_RAD * SUNCATCHER_DOSE_RAD_PER_YEAR / 365.25
# Share of LEO upsets that happen inside the SAA: assumed 0.75. Flight maps (UoSAT-2 memory
# upsets, NOAA "Windows to the Universe"; Shuttle GPC upsets, O'Neill & Badhwar 1994) show
# upsets clustering in the SAA, but we found no citable percentage. Outside the SAA the
# upsets come from galactic cosmic rays; AP8 puts 99.6 % of the >30 MeV trapped-proton
# fluence of a 53 deg, 550 km orbit inside the ellipse above, so proton-driven upsets alone
# would give a far larger share.
SAA_UPSET_SHARE = 0.75
# Fraction of time a 53 deg, 550 km circular orbit spends inside `in_saa` at the default
# epoch (computed from the ellipse over 30 days; checked in tests/physics/test_faults.py).
SAA_TIME_FRACTION_53DEG = 0.090


def saa_multiplier(upset_share_in_saa: float, time_fraction_in_saa: float) -> float:
    """Rate inside the SAA over the rate outside that puts `upset_share_in_saa` of the
    upsets into `time_fraction_in_saa` of the time: s (1 - f) / (f (1 - s))."""
    s, f = upset_share_in_saa, time_fraction_in_saa
    if not (0.0 <= s < 1.0 and 0.0 < f < 1.0):
        raise ValueError("need 0 <= share < 1 and 0 < time fraction < 1")
    return s * (1.0 - f) / (f * (1.0 - s))


def rate_outside_saa(mean_rate: float, multiplier: float, time_fraction_in_saa: float) -> float:
    """Rate outside the SAA that gives `mean_rate` on orbit average when the rate inside is
    `multiplier` times higher: mean / (1 - f + m f)."""
    return mean_rate / (1.0 - time_fraction_in_saa + multiplier * time_fraction_in_saa)


SAA_MULTIPLIER = saa_multiplier(SAA_UPSET_SHARE, SAA_TIME_FRACTION_53DEG)  # 30.3, from an assumed share
SEU_RATE_PER_GPU_DAY = rate_outside_saa(MEAN_SEU_RATE_PER_GPU_DAY, SAA_MULTIPLIER, SAA_TIME_FRACTION_53DEG)


def seu_counts(
    rng: np.random.Generator,
    gpus_per_sat: np.ndarray | int,
    rate_per_gpu_day: float,
    saa_multiplier: float,
    in_saa_mask: np.ndarray,
    dt_s: float,
) -> np.ndarray:
    """Poisson counts (S, T) of upsets on S satellites over T steps of `dt_s`: mean
    gpus x rate x dt, times `saa_multiplier` at steps where `in_saa_mask` (S, T) is True.
    `gpus_per_sat` is a number or (S,)."""
    mask = np.asarray(in_saa_mask, dtype=bool)
    if mask.ndim != 2:
        raise ValueError("in_saa_mask must be (S, T)")
    if rate_per_gpu_day < 0 or saa_multiplier < 0 or dt_s <= 0:
        raise ValueError("rates and the multiplier must be >= 0 and dt_s > 0")
    gpus = np.asarray(gpus_per_sat, dtype=float)
    if np.any(gpus < 0):
        raise ValueError("gpus_per_sat must be >= 0")
    gpus = gpus.reshape(-1, 1) if gpus.ndim == 1 else gpus
    lam = gpus * (rate_per_gpu_day * dt_s / 86400.0) * np.where(mask, saa_multiplier, 1.0)
    return rng.poisson(np.broadcast_to(lam, mask.shape))


# --- permanent failures -----------------------------------------------------------------

# A terrestrial GPU fleet loses about 9 % of its GPUs a year (figure commonly quoted from
# Meta's Llama 3 training; REFERENCE.md): survival 0.91 after a year, hazard -ln(0.91).
BASE_GPU_FAILURE_RATE_PER_YEAR = -math.log(1.0 - 0.09)
# Added hazard per krad(Si) of accumulated dose: assumed, set so that at 15 krad the dose
# term equals the terrestrial base hazard. Suncatcher's Trillium TPUs showed no hard failure
# up to 15 krad(Si) in a proton beam (arXiv 2511.19468; REFERENCE.md): a short ground test
# that bounds no in-orbit failure rate, so this slope is a placeholder to vary.
GPU_FAILURE_RATE_PER_YEAR_PER_KRAD = BASE_GPU_FAILURE_RATE_PER_YEAR / 15.0
# Satellite bus (whole satellite lost): Jonathan McDowell's count for Starlink launches 2-8
# (420 satellites, November 2019 - June 2020): 7 deorbited early and 10 no longer
# manoeuvring by the end of 2020 (Advanced Television, 2021-01-08, reporting McDowell's 2020
# review). With the launches' mean age at 2021-01-01 of 0.856 years (from the launch dates;
# assumed exposure): -ln(1 - 17/420) / 0.856 = 0.048 per year. Mostly early failures; the
# next cohort (launches 9-16) lost 4 of 473 in under a year, so this is pessimistic later on.
BUS_FAILURE_RATE_PER_YEAR = -math.log(1.0 - 17.0 / 420.0) / 0.856


def failure_time_from_exposure(
    exposure: np.ndarray | float,
    base_rate_per_year: np.ndarray | float,
    rate_per_year_per_krad: np.ndarray | float,
    dose_rate_krad_per_year: np.ndarray | float,
    age_years: np.ndarray | float,
) -> np.ndarray:
    """Time t (years from now) at which the cumulative hazard reaches `exposure`, for the
    hazard base + k D(t) with D(t) = r (age + t): Lambda(t) = (k r / 2) t^2 + (base + k r age) t.
    Solved as t = 2E / (B + sqrt(B^2 + 2 k r E)), B = base + k r age, which holds for k r = 0
    (t = E / B) and is inf where the hazard is zero."""
    e = np.asarray(exposure, dtype=float)
    b = np.asarray(base_rate_per_year, dtype=float)
    kr = np.asarray(rate_per_year_per_krad, dtype=float) * np.asarray(dose_rate_krad_per_year, dtype=float)
    age = np.asarray(age_years, dtype=float)
    if np.any(e < 0) or np.any(b < 0) or np.any(kr < 0) or np.any(age < 0):
        raise ValueError("exposure, rates, dose rate and age must be >= 0")
    big_b = b + kr * age
    denom = big_b + np.sqrt(big_b * big_b + 2.0 * kr * e)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(denom > 0, 2.0 * e / np.where(denom > 0, denom, 1.0), np.inf)
    return np.where(e == 0, 0.0, t)


def cumulative_hazard(
    t_years: np.ndarray | float,
    base_rate_per_year: np.ndarray | float,
    rate_per_year_per_krad: np.ndarray | float,
    dose_rate_krad_per_year: np.ndarray | float,
    age_years: np.ndarray | float,
) -> np.ndarray:
    """Lambda(t) = base t + k r ((age + t)^2 - age^2) / 2; survival to t is exp(-Lambda)."""
    t = np.asarray(t_years, dtype=float)
    kr = np.asarray(rate_per_year_per_krad, dtype=float) * np.asarray(dose_rate_krad_per_year, dtype=float)
    age = np.asarray(age_years, dtype=float)
    return np.asarray(base_rate_per_year, dtype=float) * t + kr * ((age + t) ** 2 - age**2) / 2.0


def failure_times_years(
    rng: np.random.Generator,
    n: int,
    base_rate_per_year: float = BASE_GPU_FAILURE_RATE_PER_YEAR,
    rate_per_year_per_krad: float = GPU_FAILURE_RATE_PER_YEAR_PER_KRAD,
    dose_rate_krad_per_year: float = SUNCATCHER_DOSE_RAD_PER_YEAR / 1000.0,
    age_years: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Times (years from now) to permanent failure of `n` GPUs whose hazard grows linearly
    with accumulated dose, by inverting the cumulative hazard at E ~ Exp(1). `age_years`
    (number or (n,)) is the time already spent in orbit, which sets the dose so far."""
    exposure = rng.exponential(1.0, size=n)
    return failure_time_from_exposure(exposure, base_rate_per_year, rate_per_year_per_krad, dose_rate_krad_per_year, age_years)


def bus_failure_times_years(rng: np.random.Generator, n: int, rate_per_year: float = BUS_FAILURE_RATE_PER_YEAR) -> np.ndarray:
    """Times (years from now) to loss of `n` satellite buses at a constant hazard; inf for a
    zero rate."""
    if rate_per_year < 0:
        raise ValueError("rate_per_year must be >= 0")
    exposure = rng.exponential(1.0, size=n)
    return exposure / rate_per_year if rate_per_year > 0 else np.full(n, np.inf)
