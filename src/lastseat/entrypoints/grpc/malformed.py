"""A request that does not decode is the client's error: INVALID_ARGUMENT, not UNKNOWN.

grpc decodes a request before any handler runs, and reports a decoding failure as UNKNOWN
(gRPC's 500) with an error-level traceback. This interceptor gives every unary and
server-streaming method of our service a decoder that cannot fail, and a handler that
answers an undecodable request with INVALID_ARGUMENT before the real one is called.
A server-streaming method's rebuilt handler (one that writes its replies with
`context.write`) also sends bytes it is given as they are (pre_encoded.py: a watched
change is serialized once per process).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from google.protobuf.message import DecodeError

from lastseat.entrypoints.grpc.pre_encoded import passing_bytes

MESSAGE = "the request is not a valid protobuf message for this method"


class _Undecodable:
    """Stands in for a request whose bytes did not decode."""


UNDECODABLE = _Undecodable()


def _lenient(decode: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    if decode is None:
        return None

    def decode_or_mark(data: bytes) -> Any:
        try:
            return decode(data)
        except DecodeError:
            return UNDECODABLE

    return decode_or_mark


class MalformedRequests(grpc.aio.ServerInterceptor):
    def __init__(self, service: str) -> None:
        self._prefix = f"/{service}/"

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]],
        details: grpc.HandlerCallDetails,
    ) -> Any:
        # (Any: grpc's stubs type the handlers for its synchronous server only)
        handler: Any = await continuation(details)
        method: str = details.method
        if handler is None or not method.startswith(self._prefix):
            return handler
        decode = _lenient(handler.request_deserializer)
        if handler.unary_unary is not None:
            unary: Any = handler.unary_unary

            async def checked_unary(
                request: Any, context: grpc.aio.ServicerContext[Any, Any]
            ) -> Any:
                if request is UNDECODABLE:
                    await context.abort(grpc.StatusCode.INVALID_ARGUMENT, MESSAGE)
                return await unary(request, context)

            return grpc.unary_unary_rpc_method_handler(
                checked_unary, decode, handler.response_serializer
            )
        if handler.unary_stream is not None:  # (WatchFlight: it writes with context.write)
            stream: Any = handler.unary_stream

            async def checked_stream(
                request: Any, context: grpc.aio.ServicerContext[Any, Any]
            ) -> None:
                if request is UNDECODABLE:
                    await context.abort(grpc.StatusCode.INVALID_ARGUMENT, MESSAGE)
                await stream(request, context)

            return grpc.unary_stream_rpc_method_handler(
                checked_stream, decode, passing_bytes(handler.response_serializer)
            )
        return handler
