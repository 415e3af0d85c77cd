"""The firewall's exclusions that name CRS rules by id, generated from the CRS files.

libmodsecurity 3.0.9 checks a runtime `ctl:ruleRemoveTargetByTag` against every rule and
every value that rule inspects, and each check evaluates all of the rule's tags again
(`containsTag` builds each tag's string anew). Measured with callgrind, the one such
exclusion that ran on every request (the session cookies, from every CRS rule) made 25% of
a clean API GET's instructions, and the 24 on the sign-in routes cost more than the rules
they exempt. So the exclusions are written with rule ids instead, resolved here once, when
the config is generated:

- an exclusion that holds on every route is written into the targets of the rules it
  concerns, in copies of the CRS files (`SecRuleUpdateTargetById` would do the same, but
  libmodsecurity walks the whole list of those for every rule of every request);
- one that holds on some routes stays a `ctl` action of a route rule, by id
  (`ctl:ruleRemoveTargetById`: an integer comparison per entry, no tag evaluated).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# Random tokens lastseat issues and looks up by keyed hash, never interpreted (1001).
OWN_COOKIES = ("lastseat_session", "lastseat_csrf")
# Campaign and partner parameters no route reads (1020), and the only rules excluded for them.
ANALYTICS_PARAMETERS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
                        "utm_id", "utm_source_platform", "utm_creative_format",
                        "utm_marketing_tactic", "hotel")  # fmt: skip
ANALYTICS_RULES = (932115, 942190)
# Password fields (1000): hashed and compared, never interpreted, so the injection
# families do not judge them.
PASSWORD_FIELDS = ("json.password", "json.current_password", "json.new_password")
INJECTION_TAGS = frozenset({"attack-sqli", "attack-xss", "attack-rce", "attack-lfi",
                            "attack-rfi", "attack-injection-php", "attack-injection-generic",
                            "language-shell"})  # fmt: skip

_ID = re.compile(r"\bid:(\d+)")
_TAG = re.compile(r"\btag:'([^']*)'")
_LEVEL = "paranoia-level/"


@dataclass(frozen=True)
class CrsRule:
    """A rule of the CRS files (the first of a chain: the one with the id and the tags)."""

    id: int
    targets: tuple[str, ...]
    tags: frozenset[str]

    @property
    def paranoia_level(self) -> int:
        """The level from which it runs (its `paranoia-level/N` tag; none: always)."""
        levels = [int(tag.rsplit("/", 1)[1]) for tag in self.tags if tag.startswith(_LEVEL)]
        return min(levels, default=1)


def crs_rules(files: Iterable[Path], paranoia_level: int) -> list[CrsRule]:
    """The rules of `files` that run at `paranoia_level`: each exclusion entry costs every
    rule a comparison, so none is written for a rule that never runs."""
    rules = []
    for path in files:
        text = path.read_text(encoding="utf-8").replace("\\\n", " ")
        for line in text.splitlines():
            words = line.split(None, 2)
            if len(words) < 3 or words[0] != "SecRule":
                continue
            found = _ID.search(line)
            if found is None:  # (a chained rule: excluded with the rule that starts the chain)
                continue
            rule = CrsRule(
                int(found.group(1)), tuple(words[1].split("|")), frozenset(_TAG.findall(line))
            )
            if rule.paranoia_level <= paranoia_level:
                rules.append(rule)
    return rules


def inspects(rule: CrsRule, collection: str) -> bool:
    """Whether the rule judges the values of `collection` (the whole of it, or some keys)."""
    return any(target == collection or target.startswith(collection + ":")
               for target in rule.targets)  # fmt: skip


def everywhere(rules: list[CrsRule]) -> dict[int, list[str]]:
    """The exclusions that hold on every route: per rule id, the targets it must not judge."""
    exempt: dict[int, list[str]] = {}
    for rule in rules:
        if inspects(rule, "REQUEST_COOKIES"):
            exempt.setdefault(rule.id, []).extend(f"!REQUEST_COOKIES:{c}" for c in OWN_COOKIES)
        if rule.id in ANALYTICS_RULES:
            exempt.setdefault(rule.id, []).extend(f"!ARGS:{n}" for n in ANALYTICS_PARAMETERS)
    return exempt


def exempt_copies(files: Iterable[Path], exempt: dict[int, list[str]], folder: Path) -> list[Path]:
    """Copies of the CRS files in `folder`, each rule of `exempt` with its exclusions added
    to its own targets, as the CRS writes its own (`REQUEST_COOKIES|!REQUEST_COOKIES:/__utm/`):
    the engine sets them aside with the rule's variables, no lookup per request. Every line
    stays where it was, so a log line's `[line]` still points into the CRS as shipped."""
    folder.mkdir(parents=True, exist_ok=True)
    copies = []
    files = list(files)
    for path in files:
        lines = path.read_text(encoding="utf-8").split("\n")
        for start, line in enumerate(lines):
            if not line.startswith("SecRule "):  # (chained rules are indented: no id)
                continue
            end = start
            while lines[end].endswith("\\") and end + 1 < len(lines):
                end += 1
            found = _ID.search(" ".join(lines[start : end + 1]))
            if found is not None and int(found.group(1)) in exempt:
                keyword, targets, rest = line.split(None, 2)
                added = "|".join(exempt[int(found.group(1))])
                lines[start] = f"{keyword} {targets}|{added} {rest}"
        copy = folder / path.name
        copy.write_text("\n".join(lines), encoding="utf-8")
        copies.append(copy)
    # (the phrase lists a rule names are looked up beside its file)
    for data in {data for path in files for data in path.parent.glob("*.data")}:
        (folder / data.name).unlink(missing_ok=True)
        (folder / data.name).symlink_to(data)
    return copies


def password_removals(rules: list[CrsRule]) -> str:
    """Rule 1000's actions: each password field out of each injection rule that judges ARGS."""
    ids = [r.id for r in rules if r.tags & INJECTION_TAGS and inspects(r, "ARGS")]
    return ",\\\n  ".join(
        f"ctl:ruleRemoveTargetById={rule_id};ARGS:{field}"
        for field in PASSWORD_FIELDS
        for rule_id in ids
    )
