"""The fan-out ceiling: a websockets server with no app and no database.

Every connection to `/` gets a snapshot-sized first message, then whatever is broadcast.
A message to `/trigger` is broadcast at once, with `websockets.broadcast`, to every other
connection, as a seat change of the same shape and size lastseat sends. No compression,
as lastseat's app servers (a per-connection deflate stream cannot be encoded once).

    python bench/bare_broadcast.py --port 3999 --snapshot-bytes 30000
"""

from __future__ import annotations

import argparse
import asyncio

import uvloop
from websockets.asyncio.server import ServerConnection, broadcast, serve


async def main(args: argparse.Namespace) -> None:
    watchers: set[ServerConnection] = set()
    snapshot = '{"type":"snapshot","event_id":0,"seat_map":"' + "x" * args.snapshot_bytes + '"}'
    event_id = 0

    async def handler(connection: ServerConnection) -> None:
        nonlocal event_id
        if connection.request is not None and connection.request.path == "/trigger":
            async for seat in connection:  # each message names a seat that changed
                event_id += 1
                status = ("held", "available")[event_id % 2]
                broadcast(
                    watchers,
                    f'{{"type":"seat","seat":"{seat!s}","status":"{status}","event_id":{event_id}}}',
                )
            return
        await connection.send(snapshot)
        watchers.add(connection)
        try:
            await connection.wait_closed()
        finally:
            watchers.discard(connection)

    async with serve(handler, "127.0.0.1", args.port, compression=None, max_queue=None):
        await asyncio.get_running_loop().create_future()  # until stopped (SIGTERM)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--snapshot-bytes", type=int, default=30_000)
    uvloop.run(main(parser.parse_args()))
