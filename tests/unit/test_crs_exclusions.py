"""The firewall's exclusions by rule id, resolved from the CRS files as installed."""

from __future__ import annotations

from pathlib import Path

from lastseat.stack import crs_exclusions, nginx


def test_every_rule_that_judges_cookies_leaves_lastseats_own_out() -> None:
    rules = crs_exclusions.crs_rules(nginx.crs_rule_files(), 1)
    exempt = crs_exclusions.everywhere(rules)
    judging = [rule for rule in rules if crs_exclusions.inspects(rule, "REQUEST_COOKIES")]
    assert len(judging) >= 50
    for rule in judging:
        assert "!REQUEST_COOKIES:lastseat_session" in exempt[rule.id]
        assert "!REQUEST_COOKIES:lastseat_csrf" in exempt[rule.id]
    # names only, never the whole collection, and the analytics names for two rules only
    assert all(target.startswith("!") and ":" in target for t in exempt.values() for target in t)
    analytics = {rule_id for rule_id, t in exempt.items() if "!ARGS:utm_campaign" in t}
    assert analytics == {932115, 942190}


def test_rules_above_the_paranoia_level_get_no_entry() -> None:
    level_1 = {rule.id for rule in crs_exclusions.crs_rules(nginx.crs_rule_files(), 1)}
    level_4 = {rule.id for rule in crs_exclusions.crs_rules(nginx.crs_rule_files(), 4)}
    assert 942100 in level_1  # libinjection SQLi, paranoia level 1
    assert 942430 in level_4 - level_1  # restricted SQL characters, paranoia level 2


def test_the_copies_add_the_exclusions_to_the_rule_and_keep_every_line(tmp_path: Path) -> None:
    files = [path for path in nginx.crs_rule_files() if path.name.startswith("REQUEST-942")]
    rules = crs_exclusions.crs_rules(files, 1)
    [copy] = crs_exclusions.exempt_copies(files, crs_exclusions.everywhere(rules), tmp_path)
    shipped = files[0].read_text().split("\n")
    copied = copy.read_text().split("\n")
    assert len(copied) == len(shipped)
    changed = [(a, b) for a, b in zip(shipped, copied, strict=True) if a != b]
    assert changed and all(b.startswith(a.split(" ", 2)[0] + " ") for a, b in changed)
    for before, after in changed:  # the same rule, its targets extended, nothing else
        keyword, targets, rest = before.split(None, 2)
        assert after.startswith(f"{keyword} {targets}|!") and after.endswith(f" {rest}")
    libinjection = copied[next(i for i, line in enumerate(copied) if "id:942100" in line) - 1]
    assert libinjection.startswith("SecRule REQUEST_COOKIES|")
    assert "|!REQUEST_COOKIES:lastseat_session|!REQUEST_COOKIES:lastseat_csrf " in libinjection
    assert (tmp_path / "sql-errors.data").resolve().exists()  # the phrase lists beside them


def test_the_sign_in_exclusion_removes_each_password_field_from_the_injection_rules() -> None:
    removals = crs_exclusions.password_removals(crs_exclusions.crs_rules(nginx.crs_rule_files(), 1))
    for field in crs_exclusions.PASSWORD_FIELDS:
        assert f"ctl:ruleRemoveTargetById=942100;ARGS:{field}" in removals  # SQLi
        assert f"ctl:ruleRemoveTargetById=941100;ARGS:{field}" in removals  # XSS
    assert "ruleRemoveTargetByTag" not in removals
    assert "920" not in {entry.split("=")[1][:3] for entry in removals.split(",\\\n  ")}
