"""Sign-in throttling holds across app server processes (the counters live in the database)."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.e2e.conftest import Stack
from tests.support.servers import AppServer, server_env

LIMIT = 4


async def test_the_n_plus_first_bad_password_is_refused_across_two_servers(
    stack: Stack, server_logs: Path
) -> None:
    env = server_env(
        stack.database_url,
        LASTSEAT_PAYMENTS_URL=stack.sandbox.url,
        LASTSEAT_LOGIN_MAX_FAILURES_PER_ACCOUNT=str(LIMIT),
        LASTSEAT_LOGIN_LOCKOUT_SECONDS="60",
    )
    servers = [AppServer(env, server_logs / f"app-throttle-{i}.log") for i in range(2)]
    try:
        for server in servers:
            server.start()
        async with httpx.AsyncClient(timeout=30) as client:
            creds = {"email": "victim@example.com", "password": "victim-password-1"}
            await client.post(servers[0].url + "/api/v1/auth/signup", json=creds)
            wrong = {**creds, "password": "guess-password-0"}
            for attempt in range(LIMIT):  # alternate processes: a per-process count would miss
                response = await client.post(
                    servers[attempt % 2].url + "/api/v1/auth/login", json=wrong
                )
                assert response.status_code == 401, (attempt, response.text)
            locked = await client.post(servers[LIMIT % 2].url + "/api/v1/auth/login", json=wrong)
            assert locked.status_code == 429
            assert locked.headers["content-type"] == "application/problem+json"
            assert 1 <= int(locked.headers["retry-after"]) <= 60
            # locked means locked: the right password waits too, on either server
            for server in servers:
                right = await client.post(server.url + "/api/v1/auth/login", json=creds)
                assert right.status_code == 429
            # an unknown account answers exactly like a known one with a wrong password
            unknown = await client.post(
                servers[0].url + "/api/v1/auth/login",
                json={"email": "nobody@example.com", "password": "guess-password-0"},
            )
            assert unknown.status_code == 401
            assert unknown.json()["detail"] == "email or password is wrong"
    finally:
        for server in servers:
            server.stop()
