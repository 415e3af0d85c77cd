"""`lastseat waf ...`: why the firewall refused a request, and what would let it through."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from lastseat.config import get_settings
from lastseat.entrypoints.cli.groups import command_group
from lastseat.stack import waf_log
from lastseat.stack.nginx import firewall_dir
from lastseat.stack.waf_tier import WAF_LOG

waf_app = command_group("The firewall (ModSecurity + OWASP CRS): explain a refusal.")


def _waf_log(log: Path | None) -> Path:
    return log or firewall_dir(get_settings()) / WAF_LOG


@waf_app.command("why")
def why(
    request_id: Annotated[
        str, typer.Argument(metavar="REQUEST_ID", help="the request id the refusal quotes")
    ],
    log: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="the firewall's waf.jsonl (default: the stack's)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object")] = False,
) -> None:
    """Which rules refused REQUEST_ID (id, message, matched variable, points) and the
    exclusion that would silence each; exit 1 if no firewall rule matched that request."""
    path = _waf_log(log)
    if not path.exists():
        typer.echo(f"no firewall log at {path}: is the stack up? (--log names another)", err=True)
        raise typer.Exit(1)
    refusal = waf_log.find(path, request_id)
    if refusal is None:
        typer.echo(f"{request_id}: no firewall rule matched it (nothing in {path})", err=True)
        raise typer.Exit(1)
    if as_json:
        found = asdict(refusal)
        for match, item in zip(refusal.matches, found["matches"], strict=True):
            item["exclusion"] = waf_log.exclusion(match, refusal.path)
        typer.echo(json.dumps(found, indent=2))
        return
    verdict = f"refused with {refusal.status}" if refusal.refused else "let through"
    typer.echo(f"request {refusal.request_id}: {refusal.method} {refusal.path} {verdict} "
               f"at {refusal.time}, anomaly score {refusal.score}")  # fmt: skip
    for match in refusal.matches:
        points = f"+{match.score}" if match.score else "  -"
        variable = match.variable or "-"
        typer.echo(f"  {match.rule_id}  {points}  {variable}  {match.message}")
    scoring = refusal.scoring
    if not scoring:
        typer.echo("lastseat's own refusal: the request is malformed; no exclusion applies")
        return
    typer.echo("\nIf this request is legitimate, silence each rule on this route "
               "(src/lastseat/stack/templates/crs-exclusions.conf, a new id each):")  # fmt: skip
    for match in scoring:
        typer.echo(f"  # {match.rule_id}: {match.message}")
        typer.echo(f"  {waf_log.exclusion(match, refusal.path)}")
        typer.echo(f"  # or on every route, after the rules: {waf_log.global_exclusion(match)}")
