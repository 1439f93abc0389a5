"""Request generation and network round trips."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.inference import network_rtt, requests as rq
from orbitgrid.network import places, topology


def test_packaged_traces_have_their_published_sizes() -> None:
    """Azure LLM 2023: 19,366 conversation and 8,819 code requests (its README); Mooncake
    FAST'25 conversation trace: 12,031 requests, mean input 12,035 and output 343 tokens
    (its README). Each spans one hour."""
    conv, code, moon = (rq.load_trace(n) for n in ("azure_conv", "azure_code", "mooncake_conv"))
    assert (conv.arrival_s.size, code.arrival_s.size, moon.arrival_s.size) == (19366, 8819, 12031)
    assert moon.input_tokens.mean() == pytest.approx(12035, rel=0.001)
    assert moon.output_tokens.mean() == pytest.approx(343, rel=0.002)
    assert conv.period_s == 3600.0
    arxiv = rq.load_trace("vidur_arxiv")  # Vidur's arXiv lengths: first row 3,772 prefill, 54 decode
    assert arxiv.input_tokens.size == 10_000 and (arxiv.input_tokens[0], arxiv.output_tokens[0]) == (3772, 54)


def test_zipf_weights_and_daily_factor() -> None:
    """Rank-size rule over 3 cities: 1, 1/2, 1/3 over 11/6 = 6/11, 3/11, 2/11. The daily factor
    at the peak is 1 + a, 12 h away 1 - a, and averages 1 over a day."""
    np.testing.assert_allclose(rq.zipf_weights(3), [6 / 11, 3 / 11, 2 / 11])
    assert rq.daily_factor(20.0, 0.5, 20.0) == pytest.approx(1.5)
    assert rq.daily_factor(8.0, 0.5, 20.0) == pytest.approx(0.5)
    assert float(np.mean(rq.daily_factor(np.arange(0, 24, 0.01), 0.5, 20.0))) == pytest.approx(1.0, abs=1e-9)


def test_generator_rate_and_local_time() -> None:
    """One day at 1,000,000 requests a day over 1,000 cities: the count is Poisson(1e6) (sd
    1,000), so within 0.5%; Tokyo's share is its Zipf weight 1 / H_1000 = 1 / 7.4855 = 13.4%;
    with amplitude 1 and the peak at 20 h local time, Tokyo (139.69 E, UTC + 9.313 h) peaks at
    10.687 h UTC: the circular mean of its arrival times of day (the phase of a 1 + cos
    rate) must land there within 0.1 h."""
    lon = places.load_cities().lon_deg
    t, city = rq.generate(1e6, 86400.0, lon, 0.0, np.random.default_rng(3), amplitude=1.0, peak_local_h=20.0)
    assert t.size == pytest.approx(1e6, rel=0.005)
    assert np.all(np.diff(t) >= 0)
    tokyo = t[city == 0]
    assert tokyo.size / t.size == pytest.approx(1 / 7.4855, rel=0.02)
    ang = 2 * np.pi * tokyo / 86400.0
    peak_h = np.degrees(np.arctan2(np.sin(ang).mean(), np.cos(ang).mean())) / 15.0 % 24
    assert peak_h == pytest.approx(20.0 - 139.69171 / 15.0, abs=0.1)


def test_terrestrial_rtt_by_hand() -> None:
    """Two points 1 degree of longitude apart on the equator: 111.195 km on the 6,371.0088 km
    sphere; round trip at 4.90 us/km with route factor 1.5: 2 x 111.195 x 1.5 x 4.90e-3 = 1.6346 ms."""
    got = network_rtt.terrestrial_rtt_ms(np.array([0.0]), np.array([1.0]), 0.0, 0.0, 1.5)
    assert float(got[0]) == pytest.approx(2 * 111.1950 * 1.5 * 4.90e-3, rel=1e-4)


def test_orbital_rtt_lower_bound_and_sunlight() -> None:
    """A city right under a 550 km shell cannot reach a satellite faster than straight up and
    down: RTT >= 2 x 550 km / c = 3.669 ms; with a replica on every satellite of a 72 x 22
    shell at 53 deg, a mid-latitude city sees one within 25 deg elevation so the RTT is
    below 2 x 1,123 km (slant range at 25 deg) / c = 7.49 ms. Sunlit-only RTTs are never
    shorter than RTTs to any replica."""
    table = places.load_cities()
    g = topology.GroundSet.from_latlon(table.names[:20], table.lat_deg[:20], table.lon_deg[:20])
    shell = network_rtt.ShellGeometry(72, 22, 1, 53.0, 550.0, 0.0, 25.0)
    o = network_rtt.orbital_rtt(shell, 72 * 22, g, 600.0, 2, np.datetime64("2026-03-21T00:00:00"))
    finite = o.rtt_ms[np.isfinite(o.rtt_ms)]
    assert finite.size > 30
    assert finite.min() >= 2 * 550 / 299792.458 * 1000
    assert finite.max() <= 2 * 1123.0 / 299792.458 * 1000 + 0.01
    assert np.all(o.rtt_sunlit_ms >= o.rtt_ms - 1e-9)
    assert 0.5 < o.sunlit.mean() < 0.8  # about a third of a 550 km orbit is in shadow near equinox
