"""`/api/docs`: Swagger UI, every file of it served from here: the dist files the pinned
fastapi-offline-docs package ships and our own start-up script; no CDN, no inline script."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse
from starlette.exceptions import HTTPException

DOCS = "/api/docs"
OPENAPI = "/api/openapi.json"
# The files the page loads, by the name it asks for: nothing else of the package is served.
SWAGGER_UI = Path(str(resources.files("fastapi_offline_docs").joinpath("static")))
ASSETS: dict[str, tuple[Path, str]] = {
    "swagger-ui.css": (SWAGGER_UI / "swagger-ui.css", "text/css"),
    "swagger-ui-bundle.js": (SWAGGER_UI / "swagger-ui-bundle.js", "text/javascript"),
    "init.js": (Path(__file__).resolve().parents[1] / "swagger" / "init.js", "text/javascript"),
}
PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>lastseat API</title>
<link rel="stylesheet" href="{DOCS}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{OPENAPI}"></div>
<script src="{DOCS}/swagger-ui-bundle.js"></script>
<script src="{DOCS}/init.js"></script>
</body>
</html>
"""

router = APIRouter(include_in_schema=False)


@router.get(DOCS)
async def docs_page() -> HTMLResponse:
    return HTMLResponse(PAGE)


@router.get(DOCS + "/{name}")
async def docs_asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise HTTPException(404, "no such file")
    path, media_type = ASSETS[name]
    return FileResponse(path, media_type=media_type)
