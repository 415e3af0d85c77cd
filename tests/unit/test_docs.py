"""The docs name only things that exist: README.md and docs/*.md, checked mechanically.

Every relative link resolves (with its #anchor, if any); every `LASTSEAT_*` name is a
setting or a variable the code reads; every setting is documented in docs/configuration.md,
with its default where the page gives one as a literal; every `make` target, command-line
command, repository path and test name the docs cite exists; the README stays short.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import typer

from lastseat.config import PROJECT_ROOT, Settings

README = PROJECT_ROOT / "README.md"
DOCS = [README, *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
CONFIGURATION = PROJECT_ROOT / "docs" / "configuration.md"
README_MAX_LINES = 150

# Top folders of a repository path the docs cite; a short path (`services/ports.py`) is
# looked up under src/lastseat/ too.
PATH_ROOTS = {"src", "tests", "bench", "docs", "scripts", "proto", ".ci"}
PACKAGE_DIRS = {
    "domain", "services", "adapters", "entrypoints", "stack", "client", "payments_sandbox",
    "web", "v1",
}  # fmt: skip

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
SETTING = re.compile(r"LASTSEAT_[A-Z0-9_]*[A-Z0-9]")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
INLINE = re.compile(r"`([^`\n]+)`")
PATH = re.compile(r"^[\w.-]+(?:/[\w.-]+)+/?$")
MAKE = re.compile(r"(?:^|[\s;&(|])make ([a-z][\w-]*)")
COMMAND = re.compile(r"(?:^|[\s;&(|])(?:\.venv/bin/)?lastseat ((?:[a-z][\w-]*)(?: [a-z][\w-]*)?)")
TEST_NAME = re.compile(r"^test_\w+$")


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def code(path: Path) -> list[str]:
    """What the page shows as code: fenced blocks and inline spans."""
    body = text(path)
    return FENCE.findall(body) + INLINE.findall(FENCE.sub("", body))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    heading = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", heading).replace(" ", "-")


@cache
def anchors(path: Path) -> set[str]:
    body = FENCE.sub("", text(path))
    return {slug(h) for h in re.findall(r"^#{1,6} +(.+?) *$", body, re.M)}


def label(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT))


@pytest.mark.parametrize("page", DOCS, ids=label)
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in LINK.findall(FENCE.sub("", text(page))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
            continue  # https:, mailto:
        file, _, anchor = target.partition("#")
        resolved = (page.parent / file).resolve() if file else page
        if not resolved.exists():
            broken.append(target)
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(target)
    assert not broken, f"{label(page)}: links to nothing: {broken}"


def env_name(field: str) -> str:
    return f"LASTSEAT_{field.upper()}"


SETTINGS = {env_name(name): name for name in Settings.model_fields}


@cache
def code_text() -> str:
    """Everything outside the docs that could read an environment variable."""
    files = [PROJECT_ROOT / "Makefile"]
    for top in ("src", "tests", "bench", "scripts"):
        files += [p for p in (PROJECT_ROOT / top).rglob("*") if p.suffix in {".py", ""}]
    return "\n".join(
        text(p)
        for p in files
        if p.is_file() and p.name != "test_docs.py" and "egg-info" not in str(p)
    )


@pytest.mark.parametrize("page", DOCS, ids=label)
def test_every_variable_named_is_a_setting_or_read_by_the_code(page: Path) -> None:
    unknown = {
        name
        for name in SETTING.findall(text(page))
        if name not in SETTINGS and re.search(rf"\b{name}\b", code_text()) is None
    }
    assert not unknown, f"{label(page)} names variables nothing reads: {sorted(unknown)}"


def test_every_setting_is_documented() -> None:
    documented = set(SETTING.findall(text(CONFIGURATION)))
    missing = sorted(set(SETTINGS) - documented)
    assert not missing, f"docs/configuration.md does not describe {missing}"


def test_the_secrets_section_names_every_secret_and_counts_them() -> None:
    secrets = sorted(
        env_name(name)
        for name, field in Settings.model_fields.items()
        if "SecretStr" in str(field.annotation)
    )
    section = text(CONFIGURATION).split("\n## Secrets\n", 1)[1].split("\n## ", 1)[0]
    words = {2: "Two", 3: "Three", 4: "Four", 5: "Five", 6: "Six"}
    assert f"{words[len(secrets)]} settings are secrets" in section, secrets
    missing = [name for name in secrets if name not in section]
    assert not missing, f"the Secrets section of docs/configuration.md leaves out {missing}"


def literal(default: object) -> object:
    """A default as the configuration page writes it."""
    if hasattr(default, "get_secret_value"):
        default = default.get_secret_value()
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, (list, tuple)):
        return json.loads(json.dumps(default))
    if isinstance(default, (int, float)):
        return float(default)
    return str(default).replace(f"{PROJECT_ROOT}/", "")


def test_the_defaults_in_the_configuration_table_are_the_code_defaults() -> None:
    rows = re.findall(r"^\| `(LASTSEAT_\w+)` \| `([^`]*)` \|", text(CONFIGURATION), re.M)
    assert len(rows) >= 40, "the configuration table lost its rows"
    wrong = []
    for name, written in rows:
        if name not in SETTINGS:
            continue  # a variable read outside the settings: no default of theirs
        field = Settings.model_fields[SETTINGS[name]]
        expected = literal(field.default)
        if isinstance(expected, float):
            value: object = float(written.replace(",", "").replace("_", ""))
        elif isinstance(expected, list):
            value = json.loads(written)
        else:
            value = written
        if value != expected:
            wrong.append(f"{name}: docs {written!r}, code {field.default!r}")
    assert not wrong, "\n".join(wrong)


def makefile_targets() -> set[str]:
    return set(re.findall(r"^([a-z][\w-]*):", text(PROJECT_ROOT / "Makefile"), re.M))


@pytest.mark.parametrize("page", DOCS, ids=label)
def test_every_make_target_named_exists(page: Path) -> None:
    named = {target for snippet in code(page) for target in MAKE.findall(snippet)}
    unknown = named - makefile_targets()
    assert not unknown, f"{label(page)} names make targets the Makefile lacks: {unknown}"


def subcommands(command: object) -> dict[str, object] | None:
    """A command group's commands by name (None for a plain command)."""
    commands = getattr(command, "commands", None)
    return dict(commands) if isinstance(commands, dict) else None


def cli() -> dict[str, object]:
    (script,) = entry_points(group="console_scripts", name="lastseat")
    commands = subcommands(typer.main.get_command(script.load()))
    assert commands, "the lastseat entry point is not a command group"
    return commands


@pytest.mark.parametrize("page", DOCS, ids=label)
def test_every_lastseat_command_named_exists(page: Path) -> None:
    commands = cli()
    unknown = []
    for snippet in code(page):
        for words in COMMAND.findall(snippet):
            first, _, second = words.partition(" ")
            if first not in commands:
                unknown.append(words)
                continue
            group = subcommands(commands[first])
            if group is not None and second not in group:
                unknown.append(words)
    assert not unknown, f"{label(page)} names commands lastseat lacks: {unknown}"


def cited_paths(page: Path) -> set[str]:
    paths = set()
    for span in INLINE.findall(FENCE.sub("", text(page))):
        for word in span.split():
            word = word.strip(",;:()")
            top = word.split("/", 1)[0]
            if PATH.match(word) and (top in PATH_ROOTS or top in PACKAGE_DIRS):
                paths.add(word)
    return paths


@pytest.mark.parametrize("page", DOCS, ids=label)
def test_every_repository_path_named_exists(page: Path) -> None:
    missing = [
        path
        for path in sorted(cited_paths(page))
        if not (PROJECT_ROOT / path).exists()
        and not (PROJECT_ROOT / "src" / "lastseat" / path).exists()
    ]
    assert not missing, f"{label(page)} names paths that do not exist: {missing}"


@cache
def defined_tests() -> set[str]:
    names: set[str] = set()
    for path in (PROJECT_ROOT / "tests").rglob("*.py"):
        names.update(re.findall(r"^\s*(?:async )?def (test_\w+)", text(path), re.M))
    return names


@pytest.mark.parametrize("page", DOCS, ids=label)
def test_every_test_named_exists(page: Path) -> None:
    named = {span for span in INLINE.findall(text(page)) if TEST_NAME.match(span)}
    missing = sorted(named - defined_tests())
    assert not missing, f"{label(page)} cites tests that do not exist: {missing}"


def test_the_readme_stays_short() -> None:
    lines = text(README).count("\n")
    assert lines < README_MAX_LINES, (
        f"README.md has {lines} lines; keep it under {README_MAX_LINES}"
    )
    assert "DESIGN.md" not in text(README), "the design page is docs/design.md"


def test_the_pool_follows_the_cores_as_the_configuration_page_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert "| `LASTSEAT_POOL_SIZE` | twice the cores, at least `4` |" in text(CONFIGURATION)
    for cores, pool in ((1, 4), (2, 4), (3, 6), (16, 32)):
        monkeypatch.setattr(os, "sched_getaffinity", lambda _pid, n=cores: set(range(n)))
        assert Settings(_env_file=None).pool_size == pool
    monkeypatch.setenv("LASTSEAT_POOL_SIZE", "7")
    assert Settings(_env_file=None).pool_size == 7
