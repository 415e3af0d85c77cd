"""One error type for every client: the server's problem, named the same over each API."""

from __future__ import annotations

from typing import Any

from lastseat.domain.errors import PROBLEM_TYPE_BASE


def problem_name(problem_type: str) -> str:
    return problem_type.removeprefix(PROBLEM_TYPE_BASE)


class ApiError(Exception):
    """A refusal from the server; `problem` is the problem type's last part, e.g. `hold-gone`."""

    def __init__(
        self, status: int | str, problem: str, detail: str, body: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {problem}: {detail}")
        self.status = status  # an HTTP status, or a gRPC status code name
        self.problem = problem
        self.detail = detail
        self.body = body or {}

    @property
    def seats(self) -> list[str]:
        seats = self.body.get("seats", [])
        return [str(seat) for seat in seats]


class Unreachable(Exception):
    """No answer at all: the server could not be reached (or reached again) in time. Not a
    refusal: nothing was refused, nobody answered."""
