"""Sign-in throttling holds across app server processes (the counters live in the database):
fifty concurrent guesses over two servers get at most the limit checked, and the owner at
another address still signs in. Addresses are given as the firewall tier gives them, in
X-Forwarded-For, which the app servers trust from loopback only."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from tests.support.servers import AppServer, AppServers, server_env

LIMIT = 4
ATTACKER, OWNER = "203.0.113.66", "198.51.100.66"


async def test_concurrent_guesses_over_two_servers_cannot_pass_the_limit(
    app_servers: AppServers, server_logs: Path
) -> None:
    env = server_env(
        app_servers.database_url,
        LASTSEAT_PAYMENTS_URL=app_servers.sandbox.url,
        LASTSEAT_LOGIN_MAX_FAILURES_PER_PAIR=str(LIMIT),
        LASTSEAT_LOGIN_LOCKOUT_SECONDS="60",
    )
    servers = [AppServer(env, server_logs / f"app-throttle-{i}.log") for i in range(2)]
    try:
        for server in servers:
            server.start()
        async with httpx.AsyncClient(timeout=60) as client:
            creds = {"email": "victim@example.com", "password": "victim-password-1"}
            await client.post(servers[0].url + "/api/v1/auth/signup", json=creds)

            async def login(n: int, password: str, address: str) -> httpx.Response:
                return await client.post(
                    servers[n % 2].url + "/api/v1/auth/login",
                    json={**creds, "password": password},
                    headers={"X-Forwarded-For": address},
                )

            guesses = [f"guess-password-{n}" for n in range(50)]
            guesses[30] = creds["password"]
            answers = await asyncio.gather(
                *(login(n, guess, ATTACKER) for n, guess in enumerate(guesses))
            )
            statuses = [answer.status_code for answer in answers]
            assert sum(status != 429 for status in statuses) <= LIMIT, statuses
            assert set(statuses) <= {200, 401, 429}
            refused = next(a for a in answers if a.status_code == 429)
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json()["limit"] == "sign-in"
            assert 1 <= int(refused.headers["retry-after"]) <= 60
            # the right password from the attacker's address waits, on either server ...
            for n in range(2):
                assert (await login(n, creds["password"], ATTACKER)).status_code == 429
            # ... while the owner, elsewhere, signs in
            assert (await login(0, creds["password"], OWNER)).status_code == 200
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
