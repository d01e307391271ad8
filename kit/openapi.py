"""What FastAPI leaves out of an app's OpenAPI document, added once for every service and the
gateway, so that the document describes what the API really answers:

- every error is RFC 9457 problem+json (`Problem`), FastAPI's own 422 shape is replaced by it;
- 401/403 where a token is needed, 404 (a record missing or outside the caller's area looks the
  same), 409 on writes (the record's state or a rule refuses), 400 and 413 on bodies (unparseable,
  too large), 422 everywhere;
- the `Idempotency-Key` header on every write (kit.idempotency);
- request text refuses control and invisible characters (contracts.values.TEXT_PATTERN), on every
  string a request may carry that has no stricter pattern, enum or format of its own;
- CSV exports (`….csv`) answer text/csv."""

from __future__ import annotations

from typing import Any, cast

from fastapi import FastAPI

from contracts.values import TEXT_PATTERN
from kit.idempotency import HEADER as IDEMPOTENCY_HEADER
from kit.idempotency import MAX_KEY_LENGTH, WRITES

PROBLEM = {
    "title": "Problem",
    "description": "RFC 9457 问题详情 / problem details: errors name each offending field",
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}, "type": {"type": "string"}},
                "required": ["field", "message"],
            },
        },
    },
    "required": ["type", "title", "status"],
}
STATUS_TEXT = {
    400: "请求体无法解析 / the body cannot be parsed",
    401: "未认证 / no valid token",
    403: "无权操作 / forbidden for this role or area",
    404: "未找到（或不在辖区内）/ not found, or outside your area",
    409: "当前状态或规则不允许 / refused by state or rule",
    412: "记录已被他人修改（If-Match 不符）/ the record changed since the If-Match version",
    413: "请求体过大 / body too large",
    422: "请求参数无效（指明字段）/ invalid input, naming the field",
}
IDEMPOTENCY_PARAMETER = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": False,
    "description": "幂等键：重试时带同一个键，只执行一次并返回首次的结果 / retry with the same key: applied once, "
    "answered as the first time",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
}


def install(app: FastAPI) -> None:
    """Make `app.openapi()` return the completed document (built once, like FastAPI's own)."""
    done: list[bool]
    build, done = app.openapi, []

    def openapi() -> dict[str, Any]:
        if not done:
            app.openapi_schema = complete(build())
            done.append(True)
        return cast("dict[str, Any]", app.openapi_schema)  # set on the first call

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the document


def complete(spec: dict[str, Any]) -> dict[str, Any]:
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Problem"] = PROBLEM
    requested: set[str] = set()
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            _complete_operation(path, method.upper(), operation)
            for parameter in operation.get("parameters", []):
                _plain_text(parameter.get("schema", {}), schemas, requested)
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _plain_text(media.get("schema", {}), schemas, requested)
    return spec


def _complete_operation(path: str, method: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    statuses = [422, 404]
    if operation.get("security"):
        statuses += [401, 403]
    if method in WRITES:
        statuses.append(409)
        names = {p["name"].lower() for p in operation.get("parameters", [])}
        if "if-match" in names:
            statuses.append(412)
        if IDEMPOTENCY_HEADER.lower() not in names:
            operation.setdefault("parameters", []).append(dict(IDEMPOTENCY_PARAMETER))
    if "requestBody" in operation:
        statuses += [400, 413]
    for status in sorted(statuses):
        responses[str(status)] = problem_response(STATUS_TEXT[status])
    if path.endswith(".csv") and "200" in responses:
        responses["200"] = {
            "description": "CSV（UTF-8，带 BOM）/ CSV, UTF-8 with BOM",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }


def _plain_text(schema: dict[str, Any], schemas: dict[str, Any], seen: set[str]) -> None:
    """Give every string of a request schema (through its $refs, properties, items and unions) the
    text pattern, unless it says more precisely what it takes."""
    if ref := schema.get("$ref"):
        name = ref.rsplit("/", 1)[1]
        if name not in seen and name in schemas:
            seen.add(name)
            _plain_text(schemas[name], schemas, seen)
        return
    if schema.get("type") == "string" and not {"pattern", "enum", "format", "const"} & schema.keys():
        schema["pattern"] = TEXT_PATTERN
    for part in (
        *schema.get("properties", {}).values(),
        *schema.get("anyOf", ()),
        *schema.get("oneOf", ()),
        *schema.get("allOf", ()),
    ):
        _plain_text(part, schemas, seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            _plain_text(schema[key], schemas, seen)


def problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
