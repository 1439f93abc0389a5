"""FIFO queues at replicas, in closed form, vectorised over all requests at once.

For one single-server FIFO queue with arrivals A_1 <= A_2 <= ... and service times S_k, the
departure of request n is the Lindley recursion D_n = max(D_{n-1}, A_n) + S_n, whose
solution is

    D_n = C_n + max_{k <= n} (A_k - C_{k-1}),     C_n = S_1 + ... + S_n,  C_0 = 0

(unroll the recursion: D_n is the latest over k of "start at A_k and serve k..n back to
back"). ``np.maximum.accumulate`` evaluates the max for every n in one pass. Many replicas:
sort by (replica, arrival) and restart the running max at each replica's first request by
adding an increasing offset per replica (the values of one replica then all exceed those of
the replicas before it).
"""

from __future__ import annotations

import numpy as np


def fifo_departures(arrival_s: np.ndarray, service_s: np.ndarray, server: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(start of service, departure) of each request at FIFO single servers. ``server`` (int,
    optional) names each request's server; requests need not be sorted. Ties in arrival keep
    the input order."""
    a = np.asarray(arrival_s, dtype=np.float64)
    s = np.asarray(service_s, dtype=np.float64)
    n = a.shape[0]
    if n == 0:
        return np.zeros(0), np.zeros(0)
    srv = np.zeros(n, dtype=np.int64) if server is None else np.asarray(server, dtype=np.int64)
    order = np.lexsort((a, srv))
    a_o, s_o, g = a[order], s[order], srv[order]
    c = np.cumsum(s_o)
    first = np.r_[True, g[1:] != g[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    c_before_group = np.where(group_start > 0, c[group_start - 1], 0.0)
    c_in = c - c_before_group  # C_n within the server
    v = a_o - (c_in - s_o)  # A_k - C_{k-1}
    span = float(v.max() - v.min()) + 1.0
    rank = np.cumsum(first) - 1  # 0, 1, ... per server, increasing along the sorted order
    m = np.maximum.accumulate(v + rank * span) - rank * span
    d_o = c_in + m
    dep = np.empty(n)
    dep[order] = d_o
    return dep - s, dep


def time_average_in_system(arrival_s: np.ndarray, departure_s: np.ndarray, t_end: float) -> float:
    """Time-average number in the system over [0, t_end], from the step function
    N(t) = #arrivals <= t - #departures <= t (exact, by sorting the events): the L of L = lambda W."""
    t = np.concatenate([arrival_s, departure_s])
    dn = np.concatenate([np.ones_like(arrival_s), -np.ones_like(departure_s)])
    keep = t < t_end
    t, dn = t[keep], dn[keep]
    o = np.argsort(t, kind="stable")
    t, dn = t[o], dn[o]
    n_after = np.cumsum(dn)
    widths = np.diff(np.r_[t, t_end])
    return float(np.sum(n_after * widths) / t_end)
