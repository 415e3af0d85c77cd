"""Python clients for lastseat: HTTP JSON, the live seat-map WebSocket, and gRPC.

async with HttpClient("http://127.0.0.1:3001") as api:
    await api.login("ann@example.com", "a-good-password")
    hold = await api.hold(flight_id, ["12A"])
    booking = await api.book(
        hold["id"],
        payment_token="tok_ok",
        passengers=[{"seat": "12A", "given_name": "Ann", "family_name": "Lee"}],
    )

async for message in watch("http://127.0.0.1:3001", flight_id):
    ...  # {"type": "snapshot", ...}, then {"type": "seat", ...}

async with GrpcClient("127.0.0.1:3051", token=api.token) as rpc:
    hold = await rpc.hold(flight_id, ["12B"])
"""

from lastseat.client.errors import ApiError, Unreachable
from lastseat.client.grpc import GrpcClient
from lastseat.client.http import HttpClient
from lastseat.client.ws import watch

__all__ = ["ApiError", "GrpcClient", "HttpClient", "Unreachable", "watch"]
