"""Entrypoints: HTTP (ASGI), CLI. Thin: parse, call one service, map the result."""
