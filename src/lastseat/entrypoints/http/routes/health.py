"""Liveness, readiness (database reachable and migrated) and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from lastseat.entrypoints.http.deps import ServicesDep
from lastseat.entrypoints.http.responses import JSON, problem

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> Response:
    return JSON({"status": "ok"})


@router.get("/readyz")
async def readyz(services: ServicesDep) -> Response:
    database = await services.database.readiness()
    if not database.reachable:
        return problem(
            503,
            "not-ready",
            "Not ready",
            "the database is unreachable",
            headers={"Retry-After": "1"},
        )
    if not database.ready:
        return problem(
            503,
            "not-ready",
            "Not ready",
            f"database schema is at {database.schema}, the code needs {database.wanted}",
            headers={"Retry-After": "1"},
        )
    return JSON({"status": "ready", "database": "ok", "schema": database.schema})


@router.get("/api/v1/config")
async def public_config(services: ServicesDep) -> Response:
    """Settings the web client may know; everything else stays on the server."""
    return JSON(services.settings.public())


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
