"""RFC 9457 problem+json for every error, and a request-body size limit.

Validation errors name each offending field as a dotted path (e.g. `resident.citizen_id`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, cast
from urllib.parse import parse_qsl

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.values import forbidden_character
from kit.failures import describe, is_transient

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        type: str = "about:blank",
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.errors, self.headers, self.type = (
            status,
            title,
            detail,
            errors,
            headers,
            type,
        )
        self.extensions = extensions  # RFC 9457 extension members, e.g. the refused transition

    def body(self, instance: str) -> dict[str, Any]:
        body = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
            **self.extensions,
        }
        if self.errors:
            body["errors"] = self.errors
        return body


def invalid(field: str, message: str) -> Problem:
    """422 naming the field: input that is well-formed but breaks a rule."""
    return Problem(422, "请求参数无效 / Invalid request", message, errors=[{"field": field, "message": message}])


def invalid_fields(detail: str, errors: list[dict[str, Any]]) -> Problem:
    """422 naming every field that breaks a rule (`errors`: field, message), e.g. a batch refused whole."""
    return Problem(422, "请求参数无效 / Invalid request", detail, errors=errors)


def forbidden(field: str, message: str) -> Problem:
    """403 naming the field: the caller may not ask this (an area, a type outside their scope)."""
    return Problem(403, "无权访问 / Forbidden", message, errors=[{"field": field, "message": message}])


def conflict(message: str, **extensions: Any) -> Problem:
    """409: not allowed in the record's current state; extensions say which (e.g. state, action, rule)."""
    return Problem(409, "当前状态不允许此操作 / Not allowed now", message, **extensions)


def not_found() -> Problem:
    """The one 404: a record outside the caller's jurisdiction looks exactly like a missing one."""
    return Problem(404, "未找到 / Not found", "没有这条记录 / no such record")


def problem_response(problem: Problem, instance: str) -> Response:
    return Response(
        orjson.dumps(problem.body(instance)), status_code=problem.status, media_type=MEDIA_TYPE, headers=problem.headers
    )


def field_errors(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "header")]
        out.append({"field": ".".join(loc) or "body", "message": e.get("msg", ""), "type": e.get("type", "")})
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        return problem_response(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = field_errors(exc.errors())
        fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
        return problem_response(
            Problem(422, "请求参数无效 / Invalid request", f"字段有误 / invalid fields: {fields}", errors=errors),
            request.url.path,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "未找到 / Not found", 405: "方法不允许 / Method not allowed"}
        return problem_response(
            Problem(
                exc.status_code,
                titles.get(exc.status_code, str(exc.detail)),
                str(exc.detail),
                headers=getattr(exc, "headers", None),
            ),
            request.url.path,
        )

    app.add_middleware(CatchAll)


class CatchAll:
    """ASGI middleware, innermost: an unexpected error becomes a 500 problem here, not in Starlette's
    outermost error middleware, which re-raises it after answering and so makes the server close a
    keep-alive connection the gateway is about to reuse."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:
            if started:
                log.exception("unhandled error", extra={"path": scope["path"]})
                raise  # half an answer is out: only closing the connection tells the client
            await problem_response(unexpected(exc, scope["path"]), scope["path"])(scope, receive, send)


def unexpected(exc: Exception, path: str) -> Problem:
    """PostgreSQL or NATS away is a 503 the client may retry (with its Idempotency-Key); anything
    else is a 500 and a bug of ours."""
    if is_transient(exc):
        log.warning("dependency unavailable", extra={"path": path, "error": describe(exc)})
        return Problem(
            503,
            "服务暂时不可用 / Service temporarily unavailable",
            "数据库或消息服务暂时不可用，请稍后重试 / a database or the message bus is unavailable: retry later",
            headers={"Retry-After": "5"},
        )
    log.exception("unhandled error", exc_info=exc, extra={"path": path})
    return Problem(500, "服务器内部错误 / Internal error", "请稍后重试 / please retry later")


class InputGuard:
    """ASGI middleware: a path or query parameter holding a control or invisible character gets a
    422 naming it before any route sees it (bodies are checked by their contracts)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (refusal := _refused_parameter(scope)) is not None:
            field, char = refusal
            message = f"含控制字符或不可见字符 / contains a control or invisible character: {char}"
            problem = Problem(
                422,
                "请求参数无效 / Invalid request",
                f"字段有误 / invalid fields: {field}",
                errors=[{"field": field, "message": message, "type": "text_forbidden_character"}],
            )
            return await problem_response(problem, scope["path"])(scope, receive, send)
        return await self.app(scope, receive, send)


def _refused_parameter(scope: Scope) -> tuple[str, str] | None:
    if char := forbidden_character(scope["path"]):
        return "path", char
    query = scope.get("query_string", b"")
    if query:
        for name, value in parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True):
            if char := forbidden_character(name) or forbidden_character(value):
                return name, char
    return None


class BodyLimit:
    """ASGI middleware: refuse bodies over `max_bytes` with 413 before the app reads them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if length is not None:
            if length.isdigit() and int(length) > self.max_bytes:
                return await self._refuse(scope, send)
            return await self.app(scope, receive, send)  # the server holds the body to its length
        # chunked: buffer up to the limit, then replay it as one message
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, _replay(message), send)
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                return await self._refuse(scope, send)
        await self.app(scope, _replay({"type": "http.request", "body": body, "more_body": False}, receive), send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        problem = Problem(
            413,
            "请求体过大 / Request body too large",
            f"请求体不得超过 {self.max_bytes} 字节 / body must not exceed {self.max_bytes} bytes",
            errors=[{"field": "body", "message": "too large", "type": "too_large"}],
        )
        response = problem_response(problem, scope["path"])
        await response(scope, cast(Receive, None), send)  # a Response never receives


def _replay(first: Message, then: Receive | None = None) -> Receive:
    """A receive callable that returns `first`, then defers to `then` (e.g. for disconnects)."""
    pending = [first]

    async def receive() -> Message:
        if pending:
            return pending.pop()
        return await then() if then else {"type": "http.disconnect"}

    return receive
