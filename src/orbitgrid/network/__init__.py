"""Links, latency and routes: fibre on the ground, laser links between satellites, radio
links to gateways and user terminals (issue 7).

* ``geometry``: great-circle distance, ground positions, elevation, slant range, the longest
  laser link, delay in vacuum and in fibre.
* ``places``: packaged cities (Hypatia's 1,000 most populous) and Starlink gateways (StarPerf).
* ``topology``: +Grid and range-based laser links, ground-to-satellite visibility, the
  directed graph of one instant.
* ``routing``: shortest paths by delay (scipy.sparse.csgraph, or an exact numpy fallback).
* ``route``: the path between two places at one time, as ``orbitgrid route`` prints it.
"""
