"""Economics: what tenants pay (contracts, ledger) and what fleets cost (TCO, launch, plan)."""
