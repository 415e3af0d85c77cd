"""lastseat: a flight-seat booking backend that runs the whole path of a real request."""

__version__ = "0.1.0"
