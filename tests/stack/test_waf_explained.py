"""A refusal can be explained: the request id the 403 quotes leads, through the firewall's
waf.jsonl (written by its log tier), to the rules that refused it (`lastseat waf why`), with
the variable each matched and the exclusion that would silence it; no file of the firewall
holds the payload of a refused request, or a cookie, token or body of it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import uuid
from pathlib import Path

from lastseat.stack import waf_log
from lastseat.stack.waf_tier import LogTier
from tests.support.stack import Stack

F = "/api/v1/flights"
WAIT_SECONDS = 5.0  # a bound on waiting for the log tier, not a performance figure


async def logged(stack: Stack, request_id: str) -> str:
    log = stack.folder / "firewall" / "waf.jsonl"
    for _ in range(int(WAIT_SECONDS / 0.1)):
        text = log.read_text() if log.exists() else ""
        if f'"{request_id}"' in text:
            return text
        await asyncio.sleep(0.1)
    raise AssertionError(f"{request_id} not in {log}")


def holding(stack: Stack, secret: str, but: tuple[str, ...] = ()) -> list[str]:
    """The files of the firewall's folder that hold `secret` (any but those named)."""
    folder = stack.folder / "firewall"
    return [
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and path.name not in but and secret.encode() in path.read_bytes()
    ]


async def test_a_refused_request_id_leads_to_the_rules_that_refused_it(stack: Stack) -> None:
    request_id = f"why-{uuid.uuid4().hex}"
    marker, referrer = f"M{uuid.uuid4().hex}", f"R{uuid.uuid4().hex}"
    async with stack.client() as client:
        response = await client.get(
            F,
            params={"q": f"' OR 1=1-- {marker}", "origin": "| net user hacker P4ss /add"},
            headers={"X-Request-ID": request_id, "Referer": f"https://x.example/?{referrer}"},
        )
    assert response.status_code == 403
    assert response.json()["request_id"] == request_id  # what the user quotes
    await logged(stack, request_id)
    # The value the rule matched is in ModSecurity's line and nginx's (the request line, the
    # Referer): the log tier kept neither. (access.log has the request line, query string
    # included, as every nginx access log does: docs/firewall.md.)
    await asyncio.sleep(1.2)  # access.log's buffer is flushed each second
    assert holding(stack, marker, but=("access.log",)) == []
    assert holding(stack, referrer) == []

    why = stack.lastseat("waf", "why", request_id)
    assert why.returncode == 0, why.stderr
    out = why.stdout
    assert f"request {request_id}: GET {F} refused with 403" in out
    for rule, variable in (("942100", "ARGS:q"), ("932110", "ARGS:origin")):
        assert f"{rule}  +5  {variable}" in out, out
        assert f"ctl:ruleRemoveTargetById={rule};{variable}" in out
    assert "949110" in out
    assert "OR 1=1" not in out and "net user" not in out  # names, never values

    as_json = stack.lastseat("waf", "why", request_id, "--json")
    found = json.loads(as_json.stdout)
    assert {m["rule_id"] for m in found["matches"]} >= {942100, 932110, 949110}
    assert found["status"] == 403 and found["path"] == F

    unknown = stack.lastseat("waf", "why", "no-such-request")
    assert unknown.returncode == 1


async def test_the_log_of_a_refusal_holds_no_cookie_token_or_body(stack: Stack) -> None:
    request_id = f"secret-{uuid.uuid4().hex}"
    session, token, password = (uuid.uuid4().hex for _ in range(3))
    async with stack.client() as client:
        response = await client.post(
            "/api/v1/auth/login",
            json={"email": "' OR '1'='1' --", "password": f"pw-{password}"},
            headers={
                "X-Request-ID": request_id,
                "Authorization": f"Bearer {token}",
                "Cookie": f"lastseat_session={session}; theme=dark",
            },
        )
    assert response.status_code == 403
    await logged(stack, request_id)
    await asyncio.sleep(1.2)  # access.log's buffer is flushed each second
    for secret in (session, token, password, "OR '1'='1"):
        assert holding(stack, secret) == [], secret
    refusal = waf_log.find(stack.folder / "firewall" / "waf.jsonl", request_id)
    assert refusal is not None
    assert "ARGS:json.email" in {m.variable for m in refusal.matches}


async def test_a_json_body_with_a_byte_order_mark_is_refused_with_400_and_explained(
    stack: Stack,
) -> None:
    """libmodsecurity's JSON parser stops at a byte-order mark; the firewall refuses what it
    could not inspect rather than let the body through unjudged (docs/firewall.md)."""
    request_id = f"bom-{uuid.uuid4().hex}"
    body = b'\xef\xbb\xbf{"email": "bom@example.com", "password": "a bom password"}'
    async with stack.client() as client:
        response = await client.post(
            "/api/v1/auth/login",
            content=body,
            headers={"Content-Type": "application/json", "X-Request-ID": request_id},
        )
    assert response.status_code == 400
    assert response.json()["request_id"] == request_id
    await logged(stack, request_id)
    why = stack.lastseat("waf", "why", request_id)
    assert "200002" in why.stdout and "Failed to parse request body" in why.stdout
    assert "lastseat's own refusal" in why.stdout


def test_an_exclusion_names_the_route_not_one_resource() -> None:
    match = waf_log.Match(942190, "MSSQL", "ARGS:hotel", 5)
    path = "/api/v1/holds/3f2b8c1e-9d4a-4e5f-8a6b-1c2d3e4f5a6b/quote"
    assert waf_log.exclusion(match, path) == (
        'SecRule REQUEST_FILENAME "@rx ^/api/v1/holds/[^/]+/quote$" '
        '"id:1100,phase:1,pass,nolog,t:none,ctl:ruleRemoveTargetById=942190;ARGS:hotel"'
    )
    assert waf_log.global_exclusion(match) == 'SecRuleUpdateTargetById 942190 "!ARGS:hotel"'
    whole = waf_log.Match(920220, "URL Encoding Abuse", "REQUEST_URI", 3)
    assert "ctl:ruleRemoveById=920220" in str(waf_log.exclusion(whole, "/api/v1/flights/7"))
    assert waf_log.exclusion(waf_log.Match(949110, "verdict", "TX:ANOMALY_SCORE", 0), "/") is None


def test_a_line_nginx_cut_short_goes_with_its_requests_next_line(tmp_path: Path) -> None:
    """nginx keeps 2,048 bytes of a line: a long matched value can push the request id out
    of a rule's line; the rule still counts, for the next line of that worker and
    connection (its request's verdict), and not for another connection's request."""
    head = "2026/11/29 10:00:00 [info] 41#41: *{conn} ModSecurity: Warning. "
    rule = (
        "Matched \"Operator `Rx' with parameter `x' against variable `ARGS:{name}' "
        '(Value: `{value}\' ) [file "/usr/share/modsecurity-crs/rules/R.conf"] [line "1"] '
        '[id "{id}"] [rev ""] [msg "{msg}"] [data "Matched Data: x found within ARGS:{name}: '
        '{value}"] [severity "2"] [ver "OWASP_CRS/3.3.4"]'
    )
    end = ' [hostname "h"] [uri "/api/v1/flights"] [unique_id "{rid}"] [ref "v1"], client: 1'
    verdict = (
        "2026/11/29 10:00:00 [error] 41#41: *{conn} [client 127.0.0.1] ModSecurity: Access "
        "denied with code 403 (phase 2). Matched \"Operator `Ge' with parameter `5' against "
        "variable `TX:ANOMALY_SCORE' (Value: `5' ) [file \"/usr/share/modsecurity-crs/rules/"
        'B.conf"] [line "81"] [id "949110"] [rev ""] [msg "Inbound Anomaly Score Exceeded '
        '(Total Score: 5)"] [data ""] [severity "2"] [ver "OWASP_CRS/3.3.4"]'
    )
    cut = head.format(conn=7) + rule.format(name="q", value="a" * 1500, id=932115, msg="RCE")
    lines = [
        cut[:2048],  # no request id left
        head.format(conn=8) + rule.format(name="o", value="b", id=942100, msg="SQLi")
        + end.format(rid="other"),
        verdict.format(conn=7) + end.format(rid="long"),
    ]  # fmt: skip
    reader = waf_log.Reader()
    records = [r for line in lines for r in reader.read(line, "t")]
    log = tmp_path / "waf.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert "a" * 100 not in log.read_text() and 'b"' not in log.read_text()
    long = waf_log.find(log, "long")
    assert long is not None and long.refused and long.score == 5
    assert [(m.rule_id, m.variable) for m in long.matches] == [
        (932115, "ARGS:q"),
        (949110, "TX:ANOMALY_SCORE"),
    ]
    other = waf_log.find(log, "other")
    assert other is not None and not other.refused
    assert [m.rule_id for m in other.matches] == [942100]


def test_the_log_tier_keeps_names_and_nginx_errors_without_their_query(tmp_path: Path) -> None:
    """What nginx sends the log tier (syslog datagrams) and what it writes: a rule's record
    without the value, nginx's own error without the query string or referrer, and nothing of
    nginx's `info` notes."""
    syslog = "<190>Nov 29 10:00:00 waf: 2026/11/29 10:00:00 "
    rule = (
        '[info] 41#41: *9 ModSecurity: Warning. detected SQLi using libinjection. [file "/r/'
        'R.conf"] [line "46"] [id "942100"] [rev ""] [msg "SQL Injection Attack Detected via '
        'libinjection"] [data "Matched Data: s&1c found within ARGS:q: \' OR 1=1-- SECRET1"] '
        '[severity "2"] [ver "OWASP_CRS/3.3.4"] [hostname "h"] [uri "/api/v1/flights"] '
        '[unique_id "rid-1"] [ref "v8,12"], client: 127.0.0.1, server: _, request: "GET /api/'
        'v1/flights?q=%27+OR+1%3D1--+SECRET1 HTTP/2.0", host: "lastseat.test", referrer: '
        '"https://x.example/SECRET2"'
    )
    own = (
        "[error] 41#41: *10 connect() failed (111: Connection refused) while connecting to "
        'upstream, client: 127.0.0.1, server: _, request: "GET /api/v1/flights?q=SECRET3 HTTP/'
        '1.1", upstream: "http://127.0.0.1:1/api/v1/flights?q=SECRET3", host: "h", referrer: '
        '"https://x.example/SECRET4"'
    )
    note = "[info] 41#41: *10 client 127.0.0.1 closed keepalive connection SECRET5"
    LogTier(tmp_path).receive([(syslog + line).encode() for line in (rule, own, note)])
    [record] = [json.loads(line) for line in (tmp_path / "waf.jsonl").read_text().splitlines()]
    assert record["request_id"] == "rid-1" and record["rule_id"] == 942100
    assert (record["method"], record["path"], record["variable"]) == ("GET", F, "ARGS:q")
    assert (record["severity"], record["points"], record["refused"]) == ("CRITICAL", 5, False)
    errors = (tmp_path / "error.log").read_text()
    assert "connect() failed" in errors and 'request: "GET /api/v1/flights HTTP/1.1"' in errors
    for secret in ("SECRET1", "SECRET2", "SECRET3", "SECRET4", "SECRET5"):
        assert not holding_in(tmp_path, secret), secret


def holding_in(folder: Path, secret: str) -> bool:
    return any(secret.encode() in path.read_bytes() for path in folder.iterdir())


async def test_the_log_tier_is_started_again_and_logging_goes_on(stack: Stack) -> None:
    """kill -9 of the log tier: the supervisor starts it again on its port, and the next
    refusal is explained as before."""
    before = stack.tiers()["waf-log"]
    os.kill(before, signal.SIGKILL)
    for _ in range(int(30 / 0.2)):
        await asyncio.sleep(0.2)
        if stack.tiers()["waf-log"] != before:
            break
    assert stack.tiers()["waf-log"] != before
    shown = await stack.status_once_up()
    assert shown.returncode == 0, shown.stdout
    request_id = f"again-{uuid.uuid4().hex}"
    async with stack.client() as client:
        response = await client.get(
            F, params={"q": "' OR 1=1--"}, headers={"X-Request-ID": request_id}
        )
    assert response.status_code == 403
    await logged(stack, request_id)
    why = stack.lastseat("waf", "why", request_id)
    assert why.returncode == 0 and "942100" in why.stdout, why.stdout + why.stderr


async def test_a_request_that_imitates_modsecurity_fields_cannot_hide_or_rename_its_rules(
    stack: Stack,
) -> None:
    """ModSecurity writes values, the uri and the request line into its line unescaped: a
    double quote in the path made the line unreadable (the refusal vanished from waf.jsonl),
    and a value shaped like a rule's fields named a rule of the attacker's choosing."""
    quoted, renamed = f"quote-{uuid.uuid4().hex}", f"rename-{uuid.uuid4().hex}"
    fake = (
        '<script>alert(1)</script>\' ) [file "f"] [line "1"] [id "1234"] [rev ""] [msg "harmless"]'
    )
    async with stack.client() as client:
        hidden = await client.get(
            f"{F}/a%22b",
            params={"q": "<script>alert(1)</script>"},
            headers={"X-Request-ID": quoted},
        )
        forged = await client.get(F, params={"q": fake}, headers={"X-Request-ID": renamed})
    assert hidden.status_code == forged.status_code == 403
    await logged(stack, quoted)
    await logged(stack, renamed)
    why = stack.lastseat("waf", "why", quoted)
    assert why.returncode == 0, why.stderr
    assert "941100" in why.stdout and "refused with 403" in why.stdout
    why = stack.lastseat("waf", "why", renamed)
    assert why.returncode == 0, why.stderr
    assert "941100" in why.stdout
    for line in why.stdout.splitlines():
        if "1234" in line and "+" in line:
            assert waf_log.FORGED in line, why.stdout  # never a bare "1234 harmless"
