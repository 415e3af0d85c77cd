"""The firewall's request sets (waf_legitimate.json, waf_attacks.json), as httpx requests.

Shared by tests/stack/test_waf_false_positives.py (through the whole stack) and
bench/waf_paranoia.py (one firewall at each paranoia level in front of a fixed answer).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
LEGITIMATE = HERE / "waf_legitimate.json"
ATTACKS = HERE / "waf_attacks.json"
FIREWALL_BLOCKED = "urn:lastseat:problem:firewall-blocked"


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def fill(value: Any, values: dict[str, Any]) -> Any:
    """`{name}` placeholders replaced: a whole-string one by the value itself (a number
    stays a number in a JSON body), inside a longer string by its text."""
    if isinstance(value, str):
        for name, filler in values.items():
            if value == "{" + name + "}":
                return filler
            value = value.replace("{" + name + "}", str(filler))
        return value
    if isinstance(value, list):
        return [fill(item, values) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, values) for key, item in value.items()}
    return value


def cookie_header(case: dict[str, Any], jars: dict[str, str], drop: tuple[str, ...] = ()) -> str:
    """The Cookie header a browser would send with `case`, without the jars in `drop`."""
    names = [name for name in case.get("jar", "").split("+") if name and name not in drop]
    return "; ".join(jars[name] for name in names)


def build(
    client: httpx.AsyncClient,
    case: dict[str, Any],
    values: dict[str, Any],
    jars: dict[str, str] | None = None,
    drop: tuple[str, ...] = (),
) -> httpx.Request:
    headers = dict(fill(case.get("headers", {}), values))
    cookies = cookie_header(case, jars or {}, drop)
    if cookies:
        headers["Cookie"] = cookies
    return client.build_request(
        case["method"],
        fill(case["path"], values),
        params=fill(case.get("params"), values),
        headers=headers,
        json=fill(case["json"], values) if "json" in case else None,
    )


def firewall_blocked(response: httpx.Response) -> bool:
    """Refused by the firewall (not a 403 of the app's own)."""
    return response.status_code == 403 and FIREWALL_BLOCKED in response.text
