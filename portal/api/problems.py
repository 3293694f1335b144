"""RFC 9457 problem details: every API error is application/problem+json, never a stack trace."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from domain.answers import Outcome

PROBLEM_MEDIA_TYPE = "application/problem+json"
# Discriminated unions put the tag in the error location; the caller knows the field only.
_UNION_TAGS = frozenset(o.value for o in Outcome)


class FieldProblem(BaseModel):
    field: str = Field(description="Dotted path of the field, e.g. 'customer.card_last4'")
    message: str


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldProblem] | None = None


class ProblemError(Exception):
    """Raised by endpoints to answer with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        errors: Sequence[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.problem = Problem(
            title=title,
            status=status,
            detail=detail,
            errors=[FieldProblem(**e) for e in errors] if errors is not None else None,
        )
        self.headers = headers


def problem_response(problem: Problem, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def validation_problem(errors: Sequence[dict[str, str]], detail: str | None = None) -> ProblemError:
    return ProblemError(
        422,
        "Validation failed",
        detail or "; ".join(f"{e['field']}: {e['message']}" for e in errors),
        errors=errors,
    )


def describe_request_errors(error: RequestValidationError) -> list[dict[str, str]]:
    """FastAPI's validation errors as [{field, message}], in the domain's style."""
    problems: list[dict[str, str]] = []
    for item in error.errors():
        loc = [str(p) for p in item.get("loc", ()) if str(p) not in _UNION_TAGS]
        if loc and loc[0] in ("body", "query", "path", "header"):
            loc = loc[1:]
        message = str(item.get("msg", "is not valid"))
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        kind = item.get("type")
        if kind == "json_invalid":
            message = "the body is not valid JSON"
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            # The discriminator is a field like any other to the caller: name it.
            ctx = item.get("ctx") or {}
            loc.append(str(ctx.get("discriminator", "outcome")).strip("'"))
            expected = ", ".join(o.value for o in Outcome)
            message = (
                f"must be one of: {expected}"
                if kind == "union_tag_invalid"
                else f"is required: one of {expected}"
            )
        problems.append({"field": ".".join(loc) or "(body)", "message": message})
    return problems


# "model" registers the Problem schema; install_problem_docs then declares it under the media
# type actually sent (FastAPI would put it under application/json).
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": text}
    for status, text in {
        401: "Missing or wrong API key",
        404: "No such case (or not yours)",
        409: "Conflict with the case as it is (another request or answer came first)",
        413: "Body too large",
        422: "Validation failed, with field-level errors",
        500: "Unexpected error on our side (logged); the body carries no details",
        503: "Temporal or PostgreSQL is not reachable; retry after the Retry-After seconds",
    }.items()
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying",
        "schema": {"type": "integer"},
    }
}


def install_problem_docs(app: FastAPI) -> None:
    """Error answers in the OpenAPI document as sent: application/problem+json, Problem."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = build()
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    if not str(status).isdigit() or int(status) < 400:
                        continue
                    content = response.get("content", {})
                    schema = content.get("application/json", {}).get("schema") or {
                        "$ref": "#/components/schemas/Problem"
                    }
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": schema}}
                    if int(status) == 503:
                        response["headers"] = _RETRY_AFTER
        return document

    app.openapi = openapi  # type: ignore[method-assign]
