"""Liveness, readiness (database reachable and migrated) and Prometheus metrics."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from lastseat.adapters.db.migrate import current_revision, head_revision
from lastseat.entrypoints.http.deps import ServicesDep
from lastseat.entrypoints.http.responses import JSON, problem

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> Response:
    return JSON({"status": "ok"})


@router.get("/readyz")
async def readyz(services: ServicesDep) -> Response:
    try:
        async with services.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
        revision = await current_revision(services.engine)
    except (sa.exc.SQLAlchemyError, OSError):
        return problem(
            503,
            "not-ready",
            "Not ready",
            "the database is unreachable",
            headers={"Retry-After": "1"},
        )
    if revision != head_revision():
        return problem(
            503,
            "not-ready",
            "Not ready",
            f"database schema is at {revision}, the code needs {head_revision()}",
            headers={"Retry-After": "1"},
        )
    return JSON({"status": "ready", "database": "ok", "schema": revision})


@router.get("/api/v1/config")
async def public_config(services: ServicesDep) -> Response:
    """Settings the web client may know; everything else stays on the server."""
    return JSON(services.settings.public())


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
