"""Fare rules for tests of pricing alone: no demand pricing, no taxes."""

from __future__ import annotations

from lastseat.domain.fares import PERMILLE, DemandBucket, FareRules

NO_RULES = FareRules(demand=(DemandBucket(101, PERMILLE),), tax_per_seat=0, tax_basis_points=0)
