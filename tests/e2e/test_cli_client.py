"""The traveller's CLI (`flights`, `seats`, `watch`, `book`) against running servers."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess

import httpx

from lastseat.stack.ports import free_port
from lastseat.stack.processes import lastseat_argv
from tests.support.commands import lastseat
from tests.support.over_http import make_flight, make_users
from tests.support.servers import AppServer, AppServers

TIMEOUT = 60


def cli(
    app_servers: AppServers, *args: str, email: str | None = None, password: str | None = None
) -> subprocess.CompletedProcess[str]:
    return lastseat(client_env(app_servers, email, password), *args, timeout=TIMEOUT)


def client_env(app_servers: AppServers, email: str | None, password: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LASTSEAT_")}
    env.update(LASTSEAT_API_URL=app_servers.url(1), COLUMNS="200")
    if email is not None and password is not None:
        env.update(LASTSEAT_EMAIL=email, LASTSEAT_PASSWORD=password)
    return env


async def test_list_show_and_book_over_http_and_grpc(
    app_servers: AppServers, grpc_server: AppServer
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        [ann] = await make_users(client, app_servers, "cli", 1)
        flight_id = await make_flight(client, app_servers, "LS990", origin="MAD")
        listed = cli(app_servers, "flights", "--origin", "MAD")
        assert listed.returncode == 0, listed.stderr
        assert "LS990" in listed.stdout
        # 09:xx UTC in January is 10:xx on Madrid's clocks, and the table says whose clocks
        local = re.compile(r"2030-01-10 10:\d\d Europe/Madrid \(UTC\+01:00\)")
        assert local.search(listed.stdout), listed.stdout
        # 7 h 35 later, on New York's clocks (UTC-5 in January), its zone named
        arrives = re.compile(r"2030-01-10 1[12]:\d\d America/New_York \(UTC-05:00\)")
        assert arrives.search(listed.stdout), listed.stdout

        credentials = {"email": "cli-0@example.com", "password": "cli-password-0"}
        booked = cli(
            app_servers, "book", str(flight_id), "12A", "12B", "--passenger", "Ann Lee",
            "--passenger", "José María/de la Cruz", **credentials,
        )  # fmt: skip
        assert booked.returncode == 0, booked.stdout + booked.stderr
        assert "booked" in booked.stdout and "Total" in booked.stdout
        assert local.search(booked.stdout), booked.stdout
        assert arrives.search(booked.stdout), booked.stdout
        over_grpc = cli(
            app_servers, "book", str(flight_id), "14C", "--grpc", f"127.0.0.1:{grpc_server.port}",
            "--passenger", "Bo Lee", **credentials,
        )  # fmt: skip
        assert over_grpc.returncode == 0, over_grpc.stdout + over_grpc.stderr
        assert local.search(over_grpc.stdout), over_grpc.stdout  # gRPC's booking says it too
        assert arrives.search(over_grpc.stdout), over_grpc.stdout
        mine = (await client.get(app_servers.url() + "/api/v1/bookings", headers=ann)).json()[
            "items"
        ]
        assert sorted(seat for b in mine for seat in b["seats"]) == ["12A", "12B", "14C"]
        names = sorted(
            (p["seat"], p["given_name"], p["family_name"]) for b in mine for p in b["passengers"]
        )
        assert names == [
            ("12A", "Ann", "Lee"), ("12B", "José María", "de la Cruz"), ("14C", "Bo", "Lee"),
        ]  # fmt: skip
        for booking in mine:
            assert booking["reference"] in booked.stdout + over_grpc.stdout

        taken = cli(
            app_servers, "book", str(flight_id), "12A", "--passenger", "Cy Lee", **credentials
        )
        assert taken.returncode == 1
        assert "refused: seats no longer available: 12A (409)" in taken.stderr, taken.stderr

        # A refused card gives the seat back at once, so the traveller's next try gets it.
        declined = cli(
            app_servers, "book", str(flight_id), "20A", "--card", "tok_declined",
            "--passenger", "Cy Lee", **credentials,
        )  # fmt: skip
        assert declined.returncode == 1
        assert "released the hold on 20A" in declined.stderr, declined.stderr
        again = cli(
            app_servers, "book", str(flight_id), "20A", "--passenger", "Cy Lee", **credentials
        )
        assert again.returncode == 0, again.stdout + again.stderr

        shown = cli(app_servers, "seats", str(flight_id))
        assert shown.returncode == 0, shown.stderr
        assert "4 booked" in shown.stdout and "168 available" in shown.stdout
        assert "LS990 MAD-JFK: departs " in shown.stdout
        assert local.search(shown.stdout) and arrives.search(shown.stdout), shown.stdout
        # Without colour (not a terminal here) a mark tells the states apart, and says how.
        assert "o available  ~ held  x booked" in shown.stdout
        assert " 12A x " in shown.stdout and " 12C o " in shown.stdout


async def test_flights_come_a_page_at_a_time_and_say_there_are_more(
    app_servers: AppServers,
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        for code in ("LS980", "LS981"):
            await make_flight(client, app_servers, code)
    first = cli(app_servers, "flights", "--limit", "1")
    assert first.returncode == 0, first.stderr
    assert "more flights: --page 2" in first.stdout
    everything = cli(app_servers, "flights", "--limit", "200")
    assert "more flights" not in everything.stdout
    listed = [line for line in everything.stdout.splitlines() if "LS98" in line]
    assert len(listed) == 2
    beyond = cli(app_servers, "flights", "--page", "100", "--limit", "200")
    assert beyond.returncode == 0 and "no flights on page 100" in beyond.stdout


async def test_watch_prints_changes_as_they_happen(app_servers: AppServers) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        [ann] = await make_users(client, app_servers, "cli-watch", 1)
        flight_id = await make_flight(client, app_servers, "LS991")
        watcher = await asyncio.create_subprocess_exec(
            *lastseat_argv("watch", str(flight_id), "--count", "2"),
            env=client_env(app_servers, None, None),
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            assert watcher.stdout is not None
            first = await asyncio.wait_for(watcher.stdout.readline(), TIMEOUT)
            assert b"snapshot at event" in first
            response = await client.post(
                app_servers.url(0) + "/api/v1/holds",
                json={"flight_id": flight_id, "seats": ["3A", "3B"]},
                headers=ann,
            )
            assert response.status_code == 201
            raw, _ = await asyncio.wait_for(watcher.communicate(), TIMEOUT)
        finally:
            if watcher.returncode is None:
                watcher.kill()
                await watcher.wait()
        out = raw.decode()
        assert watcher.returncode == 0
        lines = [line.split() for line in out.splitlines()]
        assert [(line[1], line[2]) for line in lines] == [("3A", "held"), ("3B", "held")]


def hop_names(output: str) -> list[str]:
    """The first column of `trace`'s table."""
    return [line.split("│")[1].strip() for line in output.splitlines() if line.count("│") > 2]


def test_trace_to_an_app_server_lists_only_the_hops_crossed(app_servers: AppServers) -> None:
    url = app_servers.url(0) + "/api/v1/flights"
    traced = cli(app_servers, "trace", url)
    assert traced.returncode == 0, traced.stdout + traced.stderr
    hops = hop_names(traced.stdout)
    assert hops == ["TCP", "app", "db", "total"], traced.stdout
    port = app_servers.url(0).rsplit(":", 1)[1]
    assert f"127.0.0.1:{port} answered" in traced.stdout
    # /healthz runs no statement: no database hop
    live = cli(app_servers, "trace", app_servers.url(0) + "/healthz")
    assert live.returncode == 0 and hop_names(live.stdout) == ["TCP", "app", "total"], live.stdout


def test_watch_without_a_server_says_so_and_is_not_refused(app_servers: AppServers) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    watched = cli(app_servers, "watch", "1", "--api", nobody, "--retry-for", "1")
    assert watched.returncode == 1
    assert "no answer" in watched.stderr and "could not connect" in watched.stderr
    assert "refused" not in watched.stdout + watched.stderr
