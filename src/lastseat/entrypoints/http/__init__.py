"""The HTTP JSON API (FastAPI on uvicorn)."""
