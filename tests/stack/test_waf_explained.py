"""A refusal can be explained: the request id the 403 quotes leads, through the firewall's
waf.log, to the rules that refused it (`lastseat waf why`), with the variable each matched
and the exclusion that would silence it; the log holds no cookie, token or body of it."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

from lastseat.stack import waf_log
from tests.support.stack import Stack

F = "/api/v1/flights"
WAIT_SECONDS = 5.0  # a bound on waiting for nginx's log, not a performance figure


async def logged(stack: Stack, request_id: str) -> str:
    log = stack.folder / "firewall" / "waf.log"
    for _ in range(int(WAIT_SECONDS / 0.1)):
        text = log.read_text() if log.exists() else ""
        if f'"{request_id}"' in text:
            return text
        await asyncio.sleep(0.1)
    raise AssertionError(f"{request_id} not in {log}")


async def test_a_refused_request_id_leads_to_the_rules_that_refused_it(stack: Stack) -> None:
    request_id = f"why-{uuid.uuid4().hex}"
    async with stack.client() as client:
        response = await client.get(
            F,
            params={"q": "' OR 1=1--", "origin": "| net user hacker P4ss /add"},
            headers={"X-Request-ID": request_id},
        )
    assert response.status_code == 403
    assert response.json()["request_id"] == request_id  # what the user quotes
    await logged(stack, request_id)

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
    text = await logged(stack, request_id)
    errors = (stack.folder / "firewall" / "error.log").read_text()
    for secret in (session, token, password):
        assert secret not in text and secret not in errors
    refusal = waf_log.find(stack.folder / "firewall" / "waf.log", request_id)
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
    log = tmp_path / "waf.log"
    log.write_text("\n".join(lines) + "\n")
    long = waf_log.find(log, "long")
    assert long is not None and long.refused and long.score == 5
    assert [(m.rule_id, m.variable) for m in long.matches] == [
        (932115, "ARGS:q"),
        (949110, "TX:ANOMALY_SCORE"),
    ]
    other = waf_log.find(log, "other")
    assert other is not None and not other.refused
    assert [m.rule_id for m in other.matches] == [942100]
