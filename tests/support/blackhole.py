"""A TCP proxy that can stop passing bytes on one connection while keeping it open: a peer
gone without a FIN or RST (a partition, a dropped conntrack entry, a frozen host), which
nobody notices on an idle connection until they ask it something."""

from __future__ import annotations

import asyncio
import contextlib

from lastseat.stack.ports import free_port


class BlackholeProxy:
    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._frozen: set[int] = set()  # the local ports of upstream connections
        self._writers: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> BlackholeProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()

    def freeze(self, upstream_port: int) -> None:
        """From now on, the connection whose upstream side is `upstream_port` passes nothing."""
        self._frozen.add(upstream_port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self._target)
        upstream_port = up_writer.get_extra_info("sockname")[1]
        self._writers += [writer, up_writer]

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, ConnectionError):
                while data := await source.read(65536):
                    if upstream_port not in self._frozen:  # else swallowed, and no close
                        sink.write(data)
                        await sink.drain()
            with contextlib.suppress(OSError, ConnectionError):
                sink.close()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))
