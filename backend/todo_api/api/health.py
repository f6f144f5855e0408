"""Liveness and readiness probes (public, no token)."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from todo_api.db.open_database import OpenDatabase

router = APIRouter(prefix="/health", tags=["health"])


class HealthStatus(BaseModel):
    status: str


@router.get("", summary="The process is alive (does not touch the database)")
async def liveness() -> HealthStatus:
    return HealthStatus(status="ok")


@router.get(
    "/ready",
    summary="The database answers within a short timeout",
    responses={503: {"model": HealthStatus, "description": "The database is not answering"}},
)
async def readiness(request: Request) -> JSONResponse:
    database: OpenDatabase = request.app.state.database
    if await database.readiness.is_ready():
        return JSONResponse({"status": "ok"})
    retry_after = str(request.app.state.settings.db_retry_after_seconds)
    return JSONResponse(
        {"status": "unavailable"}, status_code=503, headers={"Retry-After": retry_after}
    )
