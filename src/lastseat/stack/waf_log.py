"""Why the firewall refused a request: ModSecurity's lines, reduced to names, and read back.

The firewall's nginx sends its request-level log lines (nginx's `info` level; see
templates/firewall.conf) over loopback syslog to the log tier (stack/waf_tier.py): one
ModSecurity line for each rule that matched a request, one more for the verdict ("Access
denied with code 403"), each with the request id as `[unique_id "..."]` (ModSecurity's
transaction id is the id the 403 body quotes). A line also holds the value the rule
matched, nginx's request line and the Referer: the payload, which libmodsecurity 3.0.9
cannot leave out. `Reader` turns each line into a record with no value in it (the rule's id,
message, severity and points, the NAME of the variable it matched, the request's method
and path without its query string), which the tier appends to
`<stack>/firewall/waf.jsonl`, one JSON object a line; `refusals` reads them back into
`Refusal`s: the rules that scored a request and the exclusion that would silence each, in
the form templates/crs-exclusions.conf uses. (Not ModSecurity's JSON audit log: the nginx
connector 1.0.3 drops a transaction on the internal redirect to the refusal page, so a
refused request's audit entry is never written.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# CRS's anomaly points per severity (crs-setup defaults: critical 5, error 4, warning 3,
# notice 2), by ModSecurity's numeric severity.
POINTS = {2: 5, 3: 4, 4: 3, 5: 2}
# CRS rules that give the verdict (the sum), score nothing themselves.
VERDICT_RULES = range(949000, 950000), range(959000, 960000), range(980000, 981000)
OWN_RULES = range(200000, 201000)  # lastseat's own refusals (templates/modsecurity.conf)
# Collections whose members an exclusion can name (`ARGS:name`, `REQUEST_COOKIES:name`).
NAMED = {
    "ARGS", "ARGS_GET", "ARGS_POST", "ARGS_NAMES", "REQUEST_COOKIES",
    "REQUEST_COOKIES_NAMES", "REQUEST_HEADERS", "REQUEST_HEADERS_NAMES", "FILES", "FILES_NAMES",
}  # fmt: skip
_AGAINST = re.compile(r"against variable `([^`']+)'")
_WITHIN = re.compile(r"found within (\S+?): ")
_LINE = re.compile(
    r"^(?P<time>\S+ \S+) \[\w+\] (?P<pid>\d+)#\d+: \*(?P<conn>\d+) "
    r"(?:\[client [^\]]*\] )?ModSecurity: (?P<kind>Warning|Access denied with code "
    r"(?P<status>\d+))"
)
_FIELD = '\\[{} "([^"]*)"\\]'
# The rule's own fields, in ModSecurity's order (after the matched value, before the data).
_RULE = re.compile(
    r'\[file "[^"]*"\] \[line "\d+"\] \[id "(?P<id>\d+)"\] \[rev "[^"]*"\] '
    r'\[msg "(?P<msg>[^"]*)"\]'
)
_DATA = re.compile(_FIELD.format("data"))
_SEVERITY = re.compile(_FIELD.format("severity"))
_VER = re.compile(_FIELD.format("ver"))
# The request's fields, in ModSecurity's order (the uri is decoded: it may hold anything,
# a double quote included, so it ends where the id follows; the id is nginx's $rid, which
# is [A-Za-z0-9._:-] only).
_REQUEST = re.compile(
    r'\[uri "(?P<uri>.*?)"\] \[unique_id "(?P<rid>[A-Za-z0-9._:-]{1,128})"\] \[ref "[^"]*"\]'
)
_TOTAL = re.compile(r"Total Score: (\d+)")
_METHOD = re.compile(r', request: "([A-Z]+) ')
# Path segments that are ids: a route's exclusion names the route, not one flight or hold.
_ID_SEGMENT = re.compile(r"^(?:\d+|[0-9a-fA-F-]{32,36})$")


@dataclass(frozen=True)
class Match:
    """One rule that matched: its id, message, the variable it matched, its points."""

    rule_id: int
    message: str
    variable: str
    score: int

    @property
    def verdict(self) -> bool:
        return any(self.rule_id in block for block in VERDICT_RULES)

    @property
    def own(self) -> bool:
        return self.rule_id in OWN_RULES


@dataclass(frozen=True)
class Refusal:
    request_id: str
    time: str
    method: str
    path: str  # without the query string (its values are the payload)
    status: int  # 403 or 400 when refused; 0 when the rules scored it but let it through
    matches: tuple[Match, ...]

    @property
    def refused(self) -> bool:
        return self.status != 0

    @property
    def score(self) -> int:
        """The anomaly score: the verdict's total if there is one (a rule's line nginx cut
        short has lost its severity), else the sum of the rules' points."""
        for match in self.matches:
            total = _TOTAL.search(match.message) if match.verdict else None
            if total:
                return int(total.group(1))
        return sum(match.score for match in self.matches)

    @property
    def scoring(self) -> list[Match]:
        """The rules an exclusion could be about: not the verdict, not lastseat's own."""
        return [m for m in self.matches if not m.verdict and not m.own]


def variable_of(line: str) -> str:
    """The matched variable's name: from ModSecurity's "against variable `X'" (ahead of the
    value), else the CRS's "found within X: " (libinjection's rules: after a fingerprint)."""
    found = _AGAINST.search(line)
    if found is None:
        data = _DATA.search(line)
        found = _WITHIN.search(data.group(1)) if data else None
    return found.group(1) if found else ""


def _score(rule_id: int, line: str) -> int:
    ver, severity = _VER.search(line), _SEVERITY.search(line)
    if ver is None or not ver.group(1).startswith("OWASP_CRS") or severity is None:
        return 0
    if any(rule_id in block for block in VERDICT_RULES):
        return 0
    return POINTS.get(int(severity.group(1)), 0) if severity.group(1).isdigit() else 0


SEVERITIES = ("EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO", "DEBUG")
# A record's message when the request's own text imitated ModSecurity's fields.
FORGED = "UNRELIABLE (the request's values imitate ModSecurity's log fields)"
PENDING_CONNECTIONS = 1_024  # cut lines waiting for their request id, at most


def _severity(line: str) -> str:
    found = _SEVERITY.search(line)
    if found is None or not found.group(1).isdigit() or int(found.group(1)) >= len(SEVERITIES):
        return ""
    return SEVERITIES[int(found.group(1))]


def is_modsecurity(line: str) -> bool:
    """A line of ModSecurity's (a rule's match, a verdict), not one of nginx's own."""
    return _LINE.match(line) is not None


class Reader:
    """ModSecurity's lines, one at a time as nginx sends them, to records with no value in
    them: one dict per rule that matched (`refused` on the verdict's line).

    A line nginx cut short (it keeps 2,048 bytes: a long value can push the request id out)
    is held back until the next line of the same worker and connection that has one: a
    request's rules are evaluated one after another, its verdict last."""

    def __init__(self) -> None:
        self._pending: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def read(self, line: str, time: str) -> list[dict[str, Any]]:
        """The records of `line` (and of the cut lines it completes); [] for any other line."""
        head = _LINE.match(line)
        rules = list(_RULE.finditer(line)) if head else []
        if head is None or not rules:
            return []
        # ModSecurity writes the matched value (twice), the uri, the request line and the
        # Referer into the line unescaped: a request can carry text shaped like a rule's
        # fields or a request id. A line as ModSecurity writes it has one of each; with
        # more, which is the rule's own cannot be told, and the record says so.
        rule = rules[0]
        rule_id = int(rule["id"])
        status = int(head["status"]) if head["status"] else 0
        method = _METHOD.search(line)
        record: dict[str, Any] = {
            "time": time,
            "request_id": "",
            "method": method.group(1) if method else "",
            "path": "",
            "rule_id": rule_id,
            "message": rule["msg"]
            if len(rules) == 1
            else (f"{FORGED}: rule ids {', '.join(r['id'] for r in rules)} on one line"),
            "variable": variable_of(line),
            "severity": _severity(line),
            "points": _score(rule_id, line),
            "refused": status != 0,
            "status": status,
        }
        key = (head["pid"], head["conn"])
        requests = list(_REQUEST.finditer(line))
        if not requests:
            self._pending.setdefault(key, []).append(record)
            while len(self._pending) > PENDING_CONNECTIONS:
                del self._pending[next(iter(self._pending))]
            return []
        records = [*self._pending.pop(key, []), record]
        if len(requests) > 1:  # one of them is the request's: the rules go to each, marked
            for each in records:
                if not each["message"].startswith(FORGED):
                    each["message"] = f"{FORGED}: {each['message']}"
        out = []
        for request in requests:
            for each in records:
                copy = dict(each)
                copy["request_id"] = request["rid"]
                copy["path"] = request["uri"].split("?", 1)[0]  # (ModSecurity's has none)
                copy["method"] = each["method"] or record["method"]
                out.append(copy)
        return out


def refusals(log: Path) -> Iterator[Refusal]:
    """Every request with a rule match in `log` (waf.jsonl), in the order of its first."""
    if not log.exists():
        return
    seen: dict[str, list[dict[str, Any]]] = {}
    with log.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                record = json.loads(line)
                seen.setdefault(str(record["request_id"]), []).append(record)
            except (ValueError, TypeError, KeyError):
                continue  # (a line cut by a full disk)
    for request_id, records in seen.items():
        matches = tuple(
            Match(int(r["rule_id"]), str(r["message"]), str(r["variable"]), int(r["points"]))
            for r in records
        )
        method = next((str(r["method"]) for r in records if r.get("method")), "")
        status = max(int(r.get("status", 0)) for r in records)
        last = records[-1]
        yield Refusal(request_id, str(last["time"]), method, str(last["path"]), status, matches)


def find(log: Path, request_id: str) -> Refusal | None:
    """What the firewall's rules found in the request with this id, in `log` (waf.jsonl)
    (`status` 0: they scored it, but not enough to refuse it), or None if none matched it."""
    for refusal in refusals(log):
        if refusal.request_id == request_id:
            return refusal
    return None


def route_pattern(path: str) -> str:
    """The path as an anchored regex, with id segments (numbers, UUIDs) generalised."""
    segments = ["[^/]+" if _ID_SEGMENT.match(s) else re.escape(s) for s in path.split("/")]
    return "^" + "/".join(segments) + "$"


def exclusion(match: Match, path: str, rule_id: int = 1100) -> str | None:
    """A crs-exclusions.conf rule that would stop `match` scoring on this route, or None for
    the verdict and lastseat's own refusals (nothing to exclude: the request is malformed).
    It removes just the matched variable from just that rule where the variable has a name
    (`ARGS:q`, `REQUEST_COOKIES:c`), else the rule on that route."""
    if match.verdict or match.own:
        return None
    collection, _, name = match.variable.partition(":")
    if collection in NAMED and name:
        action = f"ctl:ruleRemoveTargetById={match.rule_id};{collection}:{name}"
    else:
        action = f"ctl:ruleRemoveById={match.rule_id}"
    return (
        f'SecRule REQUEST_FILENAME "@rx {route_pattern(path)}" '
        f'"id:{rule_id},phase:1,pass,nolog,t:none,{action}"'
    )


def global_exclusion(match: Match) -> str | None:
    """The same exclusion on every route (placed after the CRS rules are loaded)."""
    if match.verdict or match.own:
        return None
    collection, _, name = match.variable.partition(":")
    if collection in NAMED and name:
        return f'SecRuleUpdateTargetById {match.rule_id} "!{collection}:{name}"'
    return f"SecRuleRemoveById {match.rule_id}"
