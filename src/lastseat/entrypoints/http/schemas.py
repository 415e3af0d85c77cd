"""The API's own request and response shapes; domain objects never leave unconverted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal
from uuid import UUID

from fastapi import Path, Query
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

from lastseat.domain.bookings import MAX_REFERENCE_LENGTH
from lastseat.domain.checkout import (
    DISCOUNT_CODE_PATTERN,
    MAX_DISCOUNT_CODE_LENGTH,
    MAX_PAYMENT_TOKEN_LENGTH,
    PAYMENT_TOKEN_PATTERN,
)
from lastseat.domain.discounts import TYPED_CODE_PATTERN, Discount, DiscountKind, normalise_code
from lastseat.domain.fares import Surcharges
from lastseat.domain.flights import MAX_ROWS, Cabin, Layout
from lastseat.domain.holds import MAX_SEATS_PER_HOLD, MIN_SEATS_PER_HOLD
from lastseat.domain.money import CURRENCY_CODES, Currency, Money
from lastseat.domain.passengers import MAX_RAW_NAME_LENGTH, Passenger, PassengerType
from lastseat.domain.requests import (
    AIRPORT_PATTERN,
    MAX_ID,
    MAX_OFFSET,
    MAX_PAGE_SIZE,
    MAX_SEAT_NAME_LENGTH,
)
from lastseat.domain.seat_choice import SeatWish, Together
from lastseat.domain.seat_offers import SeatFeature
from lastseat.domain.users import MAX_EMAIL_LENGTH, MAX_PASSWORD_LENGTH
from lastseat.domain.waiting_room import (
    MAX_ACTIVE_CAP,
    MAX_ADMISSION_MINUTES,
    MAX_ADMISSIONS_PER_MINUTE,
    MAX_TOKEN_LENGTH,
    Sale,
)

MAX_AMOUNT = 100_000_000  # one million in major units: no fare is larger
# No control characters anywhere: PostgreSQL text cannot hold NUL, and nothing needs them.
_EMAIL_CHAR = r"[^@\s\x00-\x1f\x7f]"
EMAIL_PATTERN = rf"^{_EMAIL_CHAR}{{1,64}}@{_EMAIL_CHAR}+\.{_EMAIL_CHAR}+$"
PASSWORD_PATTERN = r"^[^\x00]*$"  # noqa: S105 - a pattern, not a password
CABIN_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 _-]*$"
CabinName = Annotated[StrictStr, Field(min_length=1, max_length=32, pattern=CABIN_PATTERN)]

# Path and query parameters.
FlightId = Annotated[int, Path(ge=1, le=MAX_ID)]
Airport = Annotated[str | None, Query(pattern=AIRPORT_PATTERN)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
FlightIdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="one flight's only")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


Password = Annotated[
    StrictStr, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH, pattern=PASSWORD_PATTERN)
]


class Credentials(Strict):
    email: Annotated[StrictStr, Field(max_length=MAX_EMAIL_LENGTH, pattern=EMAIL_PATTERN)]
    password: Password


class PasswordChange(Strict):
    current_password: Annotated[StrictStr, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
    new_password: Password


class MoneyIn(Strict):
    amount: Annotated[StrictInt, Field(gt=0, le=MAX_AMOUNT)]
    currency: Currency


Row = Annotated[StrictInt, Field(ge=1, le=MAX_ROWS)]
Amount = Annotated[StrictInt, Field(ge=0, le=MAX_AMOUNT)]


class CabinIn(Strict):
    cabin: CabinName
    rows: Annotated[list[Row], Field(min_length=2, max_length=2)]
    letters: Annotated[StrictStr, Field(min_length=1, max_length=12, pattern=r"^[A-Z]+$")]
    fare: MoneyIn
    exit_rows: Annotated[list[Row], Field(max_length=MAX_ROWS)] = []
    aisle_after: Annotated[StrictStr, Field(max_length=12, pattern=r"^[A-Z]*$")] = ""


class SurchargesIn(Strict):
    """Seat surcharges in minor units of the flight's currency."""

    exit_row: Amount = 0
    front_row: Amount = 0
    front_rows: Annotated[StrictInt, Field(ge=0, le=MAX_ROWS)] = 0
    window: Amount = 0
    aisle: Amount = 0


class FlightIn(Strict):
    code: Annotated[StrictStr, Field(min_length=3, max_length=8)]
    origin: Annotated[StrictStr, Field(min_length=3, max_length=3)]
    destination: Annotated[StrictStr, Field(min_length=3, max_length=3)]
    departs_at: AwareDatetime
    arrives_at: AwareDatetime | None = Field(
        default=None,
        description="when the flight lands; after departs_at and at most 20 hours later. "
        "Left out: the arrival is unknown and shown as such",
    )
    cabins: Annotated[list[CabinIn], Field(min_length=1, max_length=8)]
    surcharges: SurchargesIn = SurchargesIn()

    def layout(self) -> Layout:
        cabins = tuple(
            Cabin(
                c.cabin,
                c.rows[0],
                c.rows[1],
                c.letters,
                Money(c.fare.amount, c.fare.currency),
                exit_rows=tuple(sorted(set(c.exit_rows))),
                aisle_after=c.aisle_after,
            )
            for c in self.cabins
        )
        return Layout(cabins, Surcharges(**self.surcharges.model_dump()))


Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
AirportCode = Annotated[StrictStr, Field(pattern=AIRPORT_PATTERN)]


# Any case ("eur" is EUR): the service checks it, as it does a currency typed in the CLI.
TypedCurrency = Annotated[
    StrictStr,
    Field(max_length=8, description=f"ISO 4217 code: {', '.join(sorted(CURRENCY_CODES))}"),
]


class DiscountIn(Strict):
    code: Annotated[StrictStr, Field(pattern=TYPED_CODE_PATTERN)]
    kind: Literal["percent", "fixed"]
    value: Annotated[
        StrictInt, Field(gt=0, le=MAX_AMOUNT, description="basis points or minor units")
    ]
    currency: TypedCurrency | None = None
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    min_spend: Amount = 0
    max_redemptions: Annotated[StrictInt, Field(ge=1, le=10_000_000)] | None = None
    flight_id: Id | None = None
    origin: AirportCode | None = None
    destination: AirportCode | None = None

    def discount(self) -> Discount:
        return Discount(
            code=normalise_code(self.code),
            kind=DiscountKind(self.kind),
            value=self.value,
            currency=self.currency,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            min_spend=self.min_spend,
            max_redemptions=self.max_redemptions,
            flight_id=self.flight_id,
            origin=self.origin,
            destination=self.destination,
        )


class HoldIn(Strict):
    """Seats named (`seats`), or a group's wish (`count`, and optionally `cabin` and
    `together`) for which the server chooses the best available seats."""

    flight_id: Id
    seats: (
        Annotated[
            list[Annotated[StrictStr, Field(max_length=MAX_SEAT_NAME_LENGTH)]],
            Field(min_length=MIN_SEATS_PER_HOLD, max_length=MAX_SEATS_PER_HOLD),
        ]
        | None
    ) = None
    count: Annotated[StrictInt, Field(ge=MIN_SEATS_PER_HOLD, le=MAX_SEATS_PER_HOLD)] | None = None
    cabin: CabinName | None = Field(default=None, description="with count: any cabin if absent")
    together: Together | None = Field(default=None, description="with count: close if absent")
    # The caller's live hold on this flight that the new one replaces (to grow or change
    # a selection without stranding the first hold).
    replaces: UUID | None = None
    # The caller's admission token while the flight's sale runs through a waiting room.
    admission: Annotated[StrictStr, Field(min_length=1, max_length=MAX_TOKEN_LENGTH)] | None = None

    @model_validator(mode="after")
    def _seats_or_count(self) -> HoldIn:
        if (self.seats is None) == (self.count is None):
            raise ValueError("give either seats (named) or count (chosen for you), not both")
        if self.count is None and (self.cabin is not None or self.together is not None):
            raise ValueError("cabin and together go with count, not with named seats")
        return self

    def wanted(self) -> list[str] | SeatWish:
        if self.seats is not None:
            return self.seats
        assert self.count is not None  # by _seats_or_count
        return SeatWish(self.count, self.cabin, self.together or Together.CLOSE)


class PaymentIn(Strict):
    token: Annotated[
        StrictStr,
        Field(min_length=1, max_length=MAX_PAYMENT_TOKEN_LENGTH, pattern=PAYMENT_TOKEN_PATTERN),
    ]


DiscountCodeIn = Annotated[
    StrictStr,
    Field(min_length=1, max_length=MAX_DISCOUNT_CODE_LENGTH, pattern=DISCOUNT_CODE_PATTERN),
]
DiscountCodeQuery = Annotated[
    str | None, Query(max_length=MAX_DISCOUNT_CODE_LENGTH, pattern=DISCOUNT_CODE_PATTERN)
]


NameIn = Annotated[
    StrictStr,
    Field(
        min_length=1,
        max_length=MAX_RAW_NAME_LENGTH,
        description="as on the passport: letters, spaces, hyphens, apostrophes; 1 to 64",
    ),
]


class PassengerIn(Strict):
    """The shape only: the name rules, and one passenger per held seat, are the domain's
    (domain/passengers.py), checked by the service for every protocol."""

    seat: Annotated[StrictStr, Field(max_length=MAX_SEAT_NAME_LENGTH)]
    given_name: NameIn
    family_name: NameIn
    date_of_birth: date | None = None
    type: Literal["adult", "child", "infant"] = "adult"

    def passenger(self) -> Passenger:
        return Passenger(
            self.seat,
            self.given_name,
            self.family_name,
            self.date_of_birth,
            PassengerType(self.type),
        )


class BookingIn(Strict):
    hold_id: UUID
    discount_code: DiscountCodeIn | None = None
    payment: PaymentIn
    passengers: Annotated[list[PassengerIn], Field(min_length=1, max_length=MAX_SEATS_PER_HOLD)]


class LookupIn(Strict):
    reference: Annotated[StrictStr, Field(min_length=1, max_length=MAX_REFERENCE_LENGTH)]
    family_name: NameIn


# Response models document the API in OpenAPI; handlers encode with orjson directly.
class MoneyOut(BaseModel):
    amount: int
    currency: str


class UserOut(BaseModel):
    id: UUID
    email: str
    role: str


class SignupOut(BaseModel):
    id: UUID
    email: str


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"]


class FlightFieldsOut(BaseModel):
    """What every representation of a flight starts with (`representations._flight_fields`)."""

    id: int
    code: str
    origin: str
    destination: str
    departs_at: datetime
    departs_local: datetime = Field(
        description="departs_at on the origin airport's clocks, with that day's UTC offset"
    )
    departure_zone: str = Field(description="the origin airport's IANA time zone")
    arrives_at: datetime | None = Field(
        description="when the flight lands (UTC); null: not known (a flight created before "
        "arrival times were kept, or without one)"
    )
    arrives_local: datetime | None = Field(
        description="arrives_at on the destination airport's clocks, with that day's UTC offset"
    )
    arrival_zone: str = Field(description="the destination airport's IANA time zone")


class FlightOut(FlightFieldsOut):
    seats_available: int


class FlightList(BaseModel):
    items: list[FlightOut]


class CabinOut(BaseModel):
    cabin: str
    rows: list[int]
    letters: str
    aisle_after: str
    exit_rows: list[int]


class SaleOpensOut(BaseModel):
    opens_at: datetime


class FlightDetailOut(FlightFieldsOut):
    cabins: list[CabinOut]
    sale: SaleOpensOut | None = Field(
        default=None, description="on sale through a waiting room: holds need an admission"
    )


class SurchargeOut(BaseModel):
    kind: str
    amount: int
    currency: str


class SeatPricePartsOut(BaseModel):
    """What a seat's price is made of: `fare` plus every surcharge is `price`."""

    fare: MoneyOut = Field(description="the cabin's fare at the flight's current demand")
    surcharges: list[SurchargeOut] = Field(description="kind: exit_row, front_row, window or aisle")


class SeatOut(BaseModel):
    seat: str
    cabin: str
    status: Literal["available", "held", "booked"]
    price: MoneyOut
    row: int
    letter: str
    features: list[SeatFeature]
    price_parts: SeatPricePartsOut


class SeatMapOut(BaseModel):
    flight_id: int
    seats: list[SeatOut]


class QuoteLineOut(BaseModel):
    seat: str
    cabin: str
    fare: MoneyOut
    demand_multiplier_permille: int
    surcharges: list[SurchargeOut]
    price: MoneyOut


class QuoteOut(BaseModel):
    lines: list[QuoteLineOut]
    subtotal: MoneyOut
    discount: MoneyOut
    discount_code: str | None
    taxes: MoneyOut
    total: MoneyOut
    discount_refused: str | None = Field(
        default=None, description="why the requested discount code does not apply"
    )


class SaleIn(Strict):
    opens_at: AwareDatetime = Field(description="from then on the line is admitted")
    admissions_per_minute: Annotated[StrictInt, Field(ge=1, le=MAX_ADMISSIONS_PER_MINUTE)]
    active_cap: Annotated[StrictInt, Field(ge=1, le=MAX_ACTIVE_CAP)] = Field(
        description="at most this many admitted and not yet booked at once"
    )
    admission_minutes: Annotated[StrictInt, Field(ge=1, le=MAX_ADMISSION_MINUTES)] = 15

    @field_validator("opens_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        try:  # an offset at the calendar's very edge has no UTC instant
            return value.astimezone(UTC)
        except OverflowError:
            raise ValueError("must be a moment with a UTC equivalent") from None

    def sale(self, flight_id: int) -> Sale:
        return Sale(
            flight_id,
            self.opens_at,
            self.admissions_per_minute,
            self.active_cap,
            timedelta(minutes=self.admission_minutes),
        )


class SaleOut(BaseModel):
    flight_id: int
    opens_at: datetime
    state: str
    admissions_per_minute: int
    active_cap: int
    admission_minutes: int
    waiting: int
    active: int


class AdmissionOut(BaseModel):
    token: str
    expires_at: datetime


class PlaceOut(BaseModel):
    place_id: UUID
    flight_id: int
    state: str
    position: int | None
    wait_seconds: int
    poll_after_seconds: int
    opens_at: datetime
    admission: AdmissionOut | None
    sold_out: bool


class HoldOut(BaseModel):
    id: UUID
    flight_id: int
    seats: list[str]
    expires_at: datetime
    status: str
    quote: QuoteOut


class PassengerOut(BaseModel):
    seat: str
    given_name: str
    family_name: str
    date_of_birth: date | None
    type: Literal["adult", "child", "infant"]


class BookingOut(BaseModel):
    id: UUID
    reference: str
    flight_id: int
    seats: list[str]
    passengers: list[PassengerOut] = Field(
        description="one per seat, in seat order (empty for bookings made before names)"
    )
    total: MoneyOut
    discount_code: str | None
    status: Literal["confirmed", "cancelled"]
    created_at: datetime
    code: str = Field(description="the flight's code")
    origin: str
    destination: str
    departs_at: datetime
    departs_local: datetime = Field(description="departs_at on the origin airport's clocks")
    departure_zone: str = Field(description="the origin airport's IANA time zone")
    arrives_at: datetime | None = Field(description="when the flight lands (UTC); null: unknown")
    arrives_local: datetime | None = Field(
        description="arrives_at on the destination airport's clocks"
    )
    arrival_zone: str = Field(description="the destination airport's IANA time zone")


class HoldList(BaseModel):
    items: list[HoldOut]


class BookingList(BaseModel):
    items: list[BookingOut]


class FoundBookingOut(BaseModel):
    reference: str
    flight: FlightFieldsOut
    seats: list[str]
    passengers: list[PassengerOut]
    status: Literal["confirmed", "cancelled"]


class CancelOut(BaseModel):
    id: UUID
    status: Literal["cancelled"]


class AdminFlightOut(FlightFieldsOut):
    seats: int


class ManifestEntryOut(BaseModel):
    seat: str
    reference: str
    user_id: UUID
    # null only for a booking made before passengers were named
    given_name: str | None
    family_name: str | None
    type: Literal["adult", "child", "infant"] | None


class RedemptionsOut(BaseModel):
    code: str
    uses: int
    discounted: MoneyOut


class ManifestOut(BaseModel):
    flight_id: int
    code: str
    departs_at: datetime
    departs_local: datetime
    departure_zone: str
    arrives_at: datetime | None
    arrives_local: datetime | None
    arrival_zone: str
    seats_booked: int
    bookings: int
    revenue: MoneyOut
    redemptions: list[RedemptionsOut]
    passengers: list[ManifestEntryOut]


class DiscountOut(BaseModel):
    code: str
    kind: str
    value: int
