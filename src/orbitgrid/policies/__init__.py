"""Scheduling policies: plug-ins behind one narrow interface, picked from a registry by name."""

from orbitgrid.policies.base import ClusterView, Decision, Placement, Policy
from orbitgrid.policies.registry import get_policy, names, register_policy

__all__ = ["ClusterView", "Decision", "Placement", "Policy", "get_policy", "names", "register_policy"]
