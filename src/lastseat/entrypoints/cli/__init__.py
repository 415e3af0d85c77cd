"""The `lastseat` command line (Typer)."""
