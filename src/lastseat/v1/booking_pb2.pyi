from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Money(_message.Message):
    __slots__ = ("amount", "currency")
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    amount: int
    currency: str
    def __init__(self, amount: _Optional[int] = ..., currency: _Optional[str] = ...) -> None: ...

class ListFlightsRequest(_message.Message):
    __slots__ = ("origin", "destination", "date", "limit", "offset")
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    origin: str
    destination: str
    date: str
    limit: int
    offset: int
    def __init__(self, origin: _Optional[str] = ..., destination: _Optional[str] = ..., date: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class FlightSummary(_message.Message):
    __slots__ = ("id", "code", "origin", "destination", "departs_at", "seats_available", "departs_local", "departure_zone", "arrives_at", "arrives_local", "arrival_zone")
    ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    DEPARTS_AT_FIELD_NUMBER: _ClassVar[int]
    SEATS_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    DEPARTS_LOCAL_FIELD_NUMBER: _ClassVar[int]
    DEPARTURE_ZONE_FIELD_NUMBER: _ClassVar[int]
    ARRIVES_AT_FIELD_NUMBER: _ClassVar[int]
    ARRIVES_LOCAL_FIELD_NUMBER: _ClassVar[int]
    ARRIVAL_ZONE_FIELD_NUMBER: _ClassVar[int]
    id: int
    code: str
    origin: str
    destination: str
    departs_at: str
    seats_available: int
    departs_local: str
    departure_zone: str
    arrives_at: str
    arrives_local: str
    arrival_zone: str
    def __init__(self, id: _Optional[int] = ..., code: _Optional[str] = ..., origin: _Optional[str] = ..., destination: _Optional[str] = ..., departs_at: _Optional[str] = ..., seats_available: _Optional[int] = ..., departs_local: _Optional[str] = ..., departure_zone: _Optional[str] = ..., arrives_at: _Optional[str] = ..., arrives_local: _Optional[str] = ..., arrival_zone: _Optional[str] = ...) -> None: ...

class ListFlightsResponse(_message.Message):
    __slots__ = ("flights",)
    FLIGHTS_FIELD_NUMBER: _ClassVar[int]
    flights: _containers.RepeatedCompositeFieldContainer[FlightSummary]
    def __init__(self, flights: _Optional[_Iterable[_Union[FlightSummary, _Mapping]]] = ...) -> None: ...

class GetSeatMapRequest(_message.Message):
    __slots__ = ("flight_id",)
    FLIGHT_ID_FIELD_NUMBER: _ClassVar[int]
    flight_id: int
    def __init__(self, flight_id: _Optional[int] = ...) -> None: ...

class Seat(_message.Message):
    __slots__ = ("seat", "cabin", "status", "price", "row", "letter", "features", "price_parts")
    SEAT_FIELD_NUMBER: _ClassVar[int]
    CABIN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    ROW_FIELD_NUMBER: _ClassVar[int]
    LETTER_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    PRICE_PARTS_FIELD_NUMBER: _ClassVar[int]
    seat: str
    cabin: str
    status: str
    price: Money
    row: int
    letter: str
    features: _containers.RepeatedScalarFieldContainer[str]
    price_parts: SeatPriceParts
    def __init__(self, seat: _Optional[str] = ..., cabin: _Optional[str] = ..., status: _Optional[str] = ..., price: _Optional[_Union[Money, _Mapping]] = ..., row: _Optional[int] = ..., letter: _Optional[str] = ..., features: _Optional[_Iterable[str]] = ..., price_parts: _Optional[_Union[SeatPriceParts, _Mapping]] = ...) -> None: ...

class SeatPriceParts(_message.Message):
    __slots__ = ("fare", "surcharges")
    FARE_FIELD_NUMBER: _ClassVar[int]
    SURCHARGES_FIELD_NUMBER: _ClassVar[int]
    fare: Money
    surcharges: _containers.RepeatedCompositeFieldContainer[SeatSurcharge]
    def __init__(self, fare: _Optional[_Union[Money, _Mapping]] = ..., surcharges: _Optional[_Iterable[_Union[SeatSurcharge, _Mapping]]] = ...) -> None: ...

class SeatSurcharge(_message.Message):
    __slots__ = ("kind", "amount", "currency")
    KIND_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    kind: str
    amount: int
    currency: str
    def __init__(self, kind: _Optional[str] = ..., amount: _Optional[int] = ..., currency: _Optional[str] = ...) -> None: ...

class SeatMap(_message.Message):
    __slots__ = ("flight_id", "seats")
    FLIGHT_ID_FIELD_NUMBER: _ClassVar[int]
    SEATS_FIELD_NUMBER: _ClassVar[int]
    flight_id: int
    seats: _containers.RepeatedCompositeFieldContainer[Seat]
    def __init__(self, flight_id: _Optional[int] = ..., seats: _Optional[_Iterable[_Union[Seat, _Mapping]]] = ...) -> None: ...

class HoldSeatsRequest(_message.Message):
    __slots__ = ("flight_id", "seats", "replaces", "count", "cabin", "together", "admission")
    FLIGHT_ID_FIELD_NUMBER: _ClassVar[int]
    SEATS_FIELD_NUMBER: _ClassVar[int]
    REPLACES_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    CABIN_FIELD_NUMBER: _ClassVar[int]
    TOGETHER_FIELD_NUMBER: _ClassVar[int]
    ADMISSION_FIELD_NUMBER: _ClassVar[int]
    flight_id: int
    seats: _containers.RepeatedScalarFieldContainer[str]
    replaces: str
    count: int
    cabin: str
    together: str
    admission: str
    def __init__(self, flight_id: _Optional[int] = ..., seats: _Optional[_Iterable[str]] = ..., replaces: _Optional[str] = ..., count: _Optional[int] = ..., cabin: _Optional[str] = ..., together: _Optional[str] = ..., admission: _Optional[str] = ...) -> None: ...

class Surcharge(_message.Message):
    __slots__ = ("kind", "amount")
    KIND_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    kind: str
    amount: Money
    def __init__(self, kind: _Optional[str] = ..., amount: _Optional[_Union[Money, _Mapping]] = ...) -> None: ...

class QuoteLine(_message.Message):
    __slots__ = ("seat", "cabin", "fare", "demand_multiplier_permille", "surcharges", "price")
    SEAT_FIELD_NUMBER: _ClassVar[int]
    CABIN_FIELD_NUMBER: _ClassVar[int]
    FARE_FIELD_NUMBER: _ClassVar[int]
    DEMAND_MULTIPLIER_PERMILLE_FIELD_NUMBER: _ClassVar[int]
    SURCHARGES_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    seat: str
    cabin: str
    fare: Money
    demand_multiplier_permille: int
    surcharges: _containers.RepeatedCompositeFieldContainer[Surcharge]
    price: Money
    def __init__(self, seat: _Optional[str] = ..., cabin: _Optional[str] = ..., fare: _Optional[_Union[Money, _Mapping]] = ..., demand_multiplier_permille: _Optional[int] = ..., surcharges: _Optional[_Iterable[_Union[Surcharge, _Mapping]]] = ..., price: _Optional[_Union[Money, _Mapping]] = ...) -> None: ...

class Quote(_message.Message):
    __slots__ = ("lines", "subtotal", "discount", "discount_code", "taxes", "total", "discount_refused")
    LINES_FIELD_NUMBER: _ClassVar[int]
    SUBTOTAL_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_CODE_FIELD_NUMBER: _ClassVar[int]
    TAXES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_REFUSED_FIELD_NUMBER: _ClassVar[int]
    lines: _containers.RepeatedCompositeFieldContainer[QuoteLine]
    subtotal: Money
    discount: Money
    discount_code: str
    taxes: Money
    total: Money
    discount_refused: str
    def __init__(self, lines: _Optional[_Iterable[_Union[QuoteLine, _Mapping]]] = ..., subtotal: _Optional[_Union[Money, _Mapping]] = ..., discount: _Optional[_Union[Money, _Mapping]] = ..., discount_code: _Optional[str] = ..., taxes: _Optional[_Union[Money, _Mapping]] = ..., total: _Optional[_Union[Money, _Mapping]] = ..., discount_refused: _Optional[str] = ...) -> None: ...

class Hold(_message.Message):
    __slots__ = ("id", "flight_id", "seats", "expires_at", "status", "quote")
    ID_FIELD_NUMBER: _ClassVar[int]
    FLIGHT_ID_FIELD_NUMBER: _ClassVar[int]
    SEATS_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    QUOTE_FIELD_NUMBER: _ClassVar[int]
    id: str
    flight_id: int
    seats: _containers.RepeatedScalarFieldContainer[str]
    expires_at: str
    status: str
    quote: Quote
    def __init__(self, id: _Optional[str] = ..., flight_id: _Optional[int] = ..., seats: _Optional[_Iterable[str]] = ..., expires_at: _Optional[str] = ..., status: _Optional[str] = ..., quote: _Optional[_Union[Quote, _Mapping]] = ...) -> None: ...

class ListHoldsRequest(_message.Message):
    __slots__ = ("flight_id", "limit", "offset")
    FLIGHT_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    flight_id: int
    limit: int
    offset: int
    def __init__(self, flight_id: _Optional[int] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class ListHoldsResponse(_message.Message):
    __slots__ = ("holds",)
    HOLDS_FIELD_NUMBER: _ClassVar[int]
    holds: _containers.RepeatedCompositeFieldContainer[Hold]
    def __init__(self, holds: _Optional[_Iterable[_Union[Hold, _Mapping]]] = ...) -> None: ...

class ReleaseHoldRequest(_message.Message):
    __slots__ = ("hold_id",)
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    hold_id: str
    def __init__(self, hold_id: _Optional[str] = ...) -> None: ...

class ReleaseHoldResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetQuoteRequest(_message.Message):
    __slots__ = ("hold_id", "discount_code")
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_CODE_FIELD_NUMBER: _ClassVar[int]
    hold_id: str
    discount_code: str
    def __init__(self, hold_id: _Optional[str] = ..., discount_code: _Optional[str] = ...) -> None: ...

class Passenger(_message.Message):
    __slots__ = ("seat", "given_name", "family_name", "date_of_birth", "type")
    SEAT_FIELD_NUMBER: _ClassVar[int]
    GIVEN_NAME_FIELD_NUMBER: _ClassVar[int]
    FAMILY_NAME_FIELD_NUMBER: _ClassVar[int]
    DATE_OF_BIRTH_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    seat: str
    given_name: str
    family_name: str
    date_of_birth: str
    type: str
    def __init__(self, seat: _Optional[str] = ..., given_name: _Optional[str] = ..., family_name: _Optional[str] = ..., date_of_birth: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...

class ConfirmBookingRequest(_message.Message):
    __slots__ = ("hold_id", "discount_code", "payment_token", "passengers")
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_CODE_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PASSENGERS_FIELD_NUMBER: _ClassVar[int]
    hold_id: str
    discount_code: str
    payment_token: str
    passengers: _containers.RepeatedCompositeFieldContainer[Passenger]
    def __init__(self, hold_id: _Optional[str] = ..., discount_code: _Optional[str] = ..., payment_token: _Optional[str] = ..., passengers: _Optional[_Iterable[_Union[Passenger, _Mapping]]] = ...) -> None: ...

class BookingRecord(_message.Message):
    __slots__ = ("id", "reference", "flight_id", "seats", "total", "discount_code", "status", "created_at", "passengers", "code", "origin", "destination", "departs_at", "departs_local", "departure_zone", "arrives_at", "arrives_local", "arrival_zone")
    ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    FLIGHT_ID_FIELD_NUMBER: _ClassVar[int]
    SEATS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    PASSENGERS_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    DEPARTS_AT_FIELD_NUMBER: _ClassVar[int]
    DEPARTS_LOCAL_FIELD_NUMBER: _ClassVar[int]
    DEPARTURE_ZONE_FIELD_NUMBER: _ClassVar[int]
    ARRIVES_AT_FIELD_NUMBER: _ClassVar[int]
    ARRIVES_LOCAL_FIELD_NUMBER: _ClassVar[int]
    ARRIVAL_ZONE_FIELD_NUMBER: _ClassVar[int]
    id: str
    reference: str
    flight_id: int
    seats: _containers.RepeatedScalarFieldContainer[str]
    total: Money
    discount_code: str
    status: str
    created_at: str
    passengers: _containers.RepeatedCompositeFieldContainer[Passenger]
    code: str
    origin: str
    destination: str
    departs_at: str
    departs_local: str
    departure_zone: str
    arrives_at: str
    arrives_local: str
    arrival_zone: str
    def __init__(self, id: _Optional[str] = ..., reference: _Optional[str] = ..., flight_id: _Optional[int] = ..., seats: _Optional[_Iterable[str]] = ..., total: _Optional[_Union[Money, _Mapping]] = ..., discount_code: _Optional[str] = ..., status: _Optional[str] = ..., created_at: _Optional[str] = ..., passengers: _Optional[_Iterable[_Union[Passenger, _Mapping]]] = ..., code: _Optional[str] = ..., origin: _Optional[str] = ..., destination: _Optional[str] = ..., departs_at: _Optional[str] = ..., departs_local: _Optional[str] = ..., departure_zone: _Optional[str] = ..., arrives_at: _Optional[str] = ..., arrives_local: _Optional[str] = ..., arrival_zone: _Optional[str] = ...) -> None: ...

class FindBookingRequest(_message.Message):
    __slots__ = ("reference", "family_name")
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    FAMILY_NAME_FIELD_NUMBER: _ClassVar[int]
    reference: str
    family_name: str
    def __init__(self, reference: _Optional[str] = ..., family_name: _Optional[str] = ...) -> None: ...

class FlightRef(_message.Message):
    __slots__ = ("id", "code", "origin", "destination", "departs_at", "departs_local", "departure_zone", "arrives_at", "arrives_local", "arrival_zone")
    ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    DEPARTS_AT_FIELD_NUMBER: _ClassVar[int]
    DEPARTS_LOCAL_FIELD_NUMBER: _ClassVar[int]
    DEPARTURE_ZONE_FIELD_NUMBER: _ClassVar[int]
    ARRIVES_AT_FIELD_NUMBER: _ClassVar[int]
    ARRIVES_LOCAL_FIELD_NUMBER: _ClassVar[int]
    ARRIVAL_ZONE_FIELD_NUMBER: _ClassVar[int]
    id: int
    code: str
    origin: str
    destination: str
    departs_at: str
    departs_local: str
    departure_zone: str
    arrives_at: str
    arrives_local: str
    arrival_zone: str
    def __init__(self, id: _Optional[int] = ..., code: _Optional[str] = ..., origin: _Optional[str] = ..., destination: _Optional[str] = ..., departs_at: _Optional[str] = ..., departs_local: _Optional[str] = ..., departure_zone: _Optional[str] = ..., arrives_at: _Optional[str] = ..., arrives_local: _Optional[str] = ..., arrival_zone: _Optional[str] = ...) -> None: ...

class FoundBooking(_message.Message):
    __slots__ = ("reference", "flight", "seats", "passengers", "status")
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    FLIGHT_FIELD_NUMBER: _ClassVar[int]
    SEATS_FIELD_NUMBER: _ClassVar[int]
    PASSENGERS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    reference: str
    flight: FlightRef
    seats: _containers.RepeatedScalarFieldContainer[str]
    passengers: _containers.RepeatedCompositeFieldContainer[Passenger]
    status: str
    def __init__(self, reference: _Optional[str] = ..., flight: _Optional[_Union[FlightRef, _Mapping]] = ..., seats: _Optional[_Iterable[str]] = ..., passengers: _Optional[_Iterable[_Union[Passenger, _Mapping]]] = ..., status: _Optional[str] = ...) -> None: ...

class CancelBookingRequest(_message.Message):
    __slots__ = ("booking_id",)
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    def __init__(self, booking_id: _Optional[str] = ...) -> None: ...

class WatchFlightRequest(_message.Message):
    __slots__ = ("flight_id", "after")
    FLIGHT_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    flight_id: int
    after: int
    def __init__(self, flight_id: _Optional[int] = ..., after: _Optional[int] = ...) -> None: ...

class SeatChange(_message.Message):
    __slots__ = ("seat", "status", "event_id")
    SEAT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    seat: str
    status: str
    event_id: int
    def __init__(self, seat: _Optional[str] = ..., status: _Optional[str] = ..., event_id: _Optional[int] = ...) -> None: ...

class Snapshot(_message.Message):
    __slots__ = ("event_id", "seat_map")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    SEAT_MAP_FIELD_NUMBER: _ClassVar[int]
    event_id: int
    seat_map: SeatMap
    def __init__(self, event_id: _Optional[int] = ..., seat_map: _Optional[_Union[SeatMap, _Mapping]] = ...) -> None: ...

class FlightEvent(_message.Message):
    __slots__ = ("snapshot", "seat")
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    SEAT_FIELD_NUMBER: _ClassVar[int]
    snapshot: Snapshot
    seat: SeatChange
    def __init__(self, snapshot: _Optional[_Union[Snapshot, _Mapping]] = ..., seat: _Optional[_Union[SeatChange, _Mapping]] = ...) -> None: ...
