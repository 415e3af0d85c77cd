"""Fare rules: pure functions from stored data to a seat's price.

A seat's price is its cabin's base fare scaled by the flight's demand multiplier, plus the
seat's surcharges (exit row, front rows, window, aisle) from the flight's layout. Taxes are
a fee per seat plus a percentage of the fares.

Rounding rule (the only one): a scaled amount is rounded to the nearest minor unit, halves
rounded up, once per amount scaled (each seat's demand-scaled fare, each seat's percentage
tax, each percentage discount). Amounts are never negative, so "up" is away from zero.
"""

from __future__ import annotations

from dataclasses import dataclass

from lastseat.domain.errors import InvalidRequest

PERMILLE = 1_000
BASIS_POINTS = 10_000


def scale(amount: int, numerator: int, denominator: int) -> int:
    """amount * numerator / denominator in integers, rounded half up."""
    if amount < 0 or numerator < 0 or denominator <= 0:
        raise ValueError("scale takes non-negative amounts and a positive denominator")
    return (amount * numerator * 2 + denominator) // (2 * denominator)


@dataclass(frozen=True, slots=True)
class DemandBucket:
    """Load factors below `below_percent` pay `multiplier_permille` / 1000 of the base fare."""

    below_percent: int
    multiplier_permille: int


@dataclass(frozen=True, slots=True)
class FareRules:
    demand: tuple[DemandBucket, ...]
    tax_per_seat: int  # minor units of the flight's currency
    tax_basis_points: int  # percentage of the fares, in 1/100 of a percent

    def __post_init__(self) -> None:
        limits = [bucket.below_percent for bucket in self.demand]
        if not self.demand or limits != sorted(set(limits)) or limits[-1] <= 100:
            raise ValueError("demand buckets must rise and the last must cover 100% load")
        if any(bucket.multiplier_permille <= 0 for bucket in self.demand):
            raise ValueError("demand multipliers must be positive")
        if self.tax_per_seat < 0 or self.tax_basis_points < 0:
            raise ValueError("taxes cannot be negative")

    def demand_permille(self, booked: int, capacity: int) -> int:
        """The multiplier for a flight with `booked` of its `capacity` seats sold.

        Held seats do not count: a hold is not a sale, and counting holds would let anyone
        raise everyone else's price by holding seats they never buy.
        """
        load_percent_x100 = booked * 100 * 100 // capacity  # no float: percent times 100
        for bucket in self.demand:
            if load_percent_x100 < bucket.below_percent * 100:
                return bucket.multiplier_permille
        return self.demand[-1].multiplier_permille

    def taxes(self, fares: int, seats: int) -> int:
        return self.tax_per_seat * seats + scale(fares, self.tax_basis_points, BASIS_POINTS)


@dataclass(frozen=True, slots=True)
class Surcharges:
    """Per-flight seat surcharges in minor units; `front_rows` counts from each cabin's first."""

    exit_row: int = 0
    front_row: int = 0
    front_rows: int = 0
    window: int = 0
    aisle: int = 0

    def __post_init__(self) -> None:
        if min(self.exit_row, self.front_row, self.front_rows, self.window, self.aisle) < 0:
            raise InvalidRequest("surcharges cannot be negative")
