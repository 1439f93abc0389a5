"""orbitgrid: planner, simulator and scheduler for AI compute on Earth and in orbit."""

__version__ = "0.1.0"
