"""Generated from proto/lastseat/v1/booking.proto by `make proto`; do not edit by hand."""
