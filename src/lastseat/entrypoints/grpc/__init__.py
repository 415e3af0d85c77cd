"""The gRPC entrypoint: `lastseat.v1.Booking` over grpc.aio, on the same services as HTTP."""
