"""`POST /webhooks/leads` and `POST /webhooks/signals`: signed, size-capped, once-only.

Order matters: the size cap first (413, before reading more than the cap), then the signature
over the raw bytes (401), then the body (422 naming the field), then the handler, which stores
the lead before the 202 goes out. A database hiccup is a 503 with Retry-After: the sender
retries, and the idempotency key makes the retry safe. Nothing here answers 500.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import SQLAlchemyError

from bot.failures import failure_summary
from bot.services import Services
from bot.webhooks.gate import Busy, IntakeGate, ProcessLost
from bot.webhooks.schemas import LeadIn, SignalBatchIn, SignalIn
from bot.webhooks.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    BadSignature,
    verify_any,
)
from bot.webhooks.storing import (
    StorageUnavailable,
    ready,
    store_together,
    stored,
    storing_pool,
)
from handlers.deliveries import Delivery, LeadDelivery, Received, SignalsDelivery
from handlers.intake import IntakeResult
from handlers.signals import SignalsResult

log = logging.getLogger("dealbot.webhooks")
IDEMPOTENCY_HEADER = "Idempotency-Key"
PIPELINE = 2
"""Calls handed to each storing process at once: the next is there when one commits."""
STARTUP_SECONDS = 120
MAX_KEY = 200
M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")

SIGNING = f"""Signed with HMAC-SHA256 and the shared secret `DEALBOT_WEBHOOK_SECRET`:
`{SIGNATURE_HEADER}: v1=<hex of HMAC-SHA256(secret, "v1:" + timestamp + ":" + raw body)>` and
`{TIMESTAMP_HEADER}: <Unix seconds>`, within 5 minutes of the server's clock. An
`{IDEMPOTENCY_HEADER}` header (or `event_id` in the body) makes a repeated delivery a no-op."""

HEADERS = [
    {"name": SIGNATURE_HEADER, "in": "header", "required": True, "schema": {"type": "string"}},
    {"name": TIMESTAMP_HEADER, "in": "header", "required": True, "schema": {"type": "string"}},
    {"name": IDEMPOTENCY_HEADER, "in": "header", "required": False, "schema": {"type": "string"}},
]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing, wrong or stale signature"},
    413: {"description": "Body over the size limit"},
    422: {"description": "A field is missing or invalid; the error names it"},
    503: {"description": "Not configured, busy, or storage briefly unavailable: retry"},
}


class Refused(Exception):
    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra

    def response(self) -> Response:
        headers = {"Retry-After": "1"} if self.status == 503 else None
        # ASCII JSON: a field name quoted from the body may hold an unpaired surrogate, which
        # has no UTF-8 form and would otherwise turn this answer into a 500.
        body = json.dumps({"error": self.message, **self.extra})
        return Response(body, self.status, headers, media_type="application/json")


def webhook_router(services: Services) -> APIRouter:
    router = APIRouter(tags=["webhooks"])
    settings = services.settings
    one_writer = services.engine.dialect.name == "sqlite"
    processes = functools.partial(storing_pool, settings) if settings.webhook_processes else None
    store: Callable[[list[Delivery]], list[Received | Exception]]
    if processes is not None:  # each process stores one call at a time; one queued keeps it busy
        concurrency = settings.webhook_concurrency or PIPELINE * settings.webhook_processes
        store = store_together  # by the storing process's services
    else:
        concurrency = settings.webhook_concurrency or (1 if one_writer else 8)
        store = functools.partial(_here, services)
    gate: IntakeGate[Delivery, Received] = IntakeGate(
        store, concurrency, settings.webhook_queue, processes
    )
    services.closers.append(gate.close)
    # The app answers once its storing processes do.
    gate.warm_up(ready, settings.webhook_processes, timeout=STARTUP_SECONDS)
    lead_work = functools.partial(_lead, gate)
    signal_work = functools.partial(_signals, gate)

    @router.post(
        "/webhooks/leads",
        status_code=202,
        summary="A form submission becomes a scored, routed, announced lead",
        description=SIGNING,
        responses=ERRORS,
        openapi_extra=_body_doc(LeadIn),
    )
    async def leads(request: Request) -> Response:
        return await _guarded(request, services, lead_work)

    @router.post(
        "/webhooks/signals",
        status_code=202,
        summary='Behaviour events (one, or {"events": [...]}) join a lead\'s timeline',
        description=SIGNING,
        responses=ERRORS,
        openapi_extra=_body_doc(SignalIn),
    )
    async def signals(request: Request) -> Response:
        return await _guarded(request, services, signal_work)

    return router


Work = Callable[[Request, Services, bytes, str], Any]


async def _guarded(request: Request, services: Services, work: Work) -> Response:
    try:
        body = await _read_capped(request, services.settings.webhook_max_bytes)
        signature = _verified(request, services, body)
        key = _delivery_key(request, body, signature)
        response: JSONResponse = await work(request, services, body, key)
        services.wake_delivery()
        return response
    except Refused as refused:
        return refused.response()
    except Busy:
        log.warning("webhook %s: queue full, answered 503", request.url.path)
        return Refused(503, "busy: retry the same delivery in a second").response()
    except (SQLAlchemyError, StorageUnavailable) as error:
        # The kind and place only: a database error quotes its parameters (names, emails).
        where = str(error) if isinstance(error, StorageUnavailable) else failure_summary(error)
        log.error("webhook %s: storage error: %s", request.url.path, where)
        return Refused(503, "storage is briefly unavailable; retry the same delivery").response()
    except ProcessLost:
        log.error(
            "webhook %s: the storing process died; a new one takes the next", request.url.path
        )
        return Refused(503, "storage is briefly unavailable; retry the same delivery").response()


def _here(services: Services, deliveries: list[Delivery]) -> list[Received | Exception]:
    """Stored by this process (on a gate thread), with its own services."""
    return stored(deliveries, services.desk_deps())


async def _lead(
    gate: IntakeGate[Delivery, Received],
    request: Request,
    services: Services,
    body: bytes,
    key: str,
) -> JSONResponse:
    submission = _parsed(LeadIn, body).submission()
    result = cast(IntakeResult, await gate.run(LeadDelivery(submission, key)))
    return JSONResponse(result.to_dict(), status_code=200 if result.duplicate else 202)


async def _signals(
    gate: IntakeGate[Delivery, Received],
    request: Request,
    services: Services,
    body: bytes,
    key: str,
) -> JSONResponse:
    data = _json(body)
    if isinstance(data, dict) and "events" in data:
        events = tuple(e.event() for e in _validated(SignalBatchIn, data).events)
    else:
        events = (_validated(SignalIn, data).event(),)
    result = cast(SignalsResult, await gate.run(SignalsDelivery(events, key)))
    return JSONResponse(result.to_dict(), status_code=202)


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Refused(413, f"body over {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refused(413, f"body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _verified(request: Request, services: Services, body: bytes) -> str:
    secret = services.settings.webhook_secret
    if secret is None:
        raise Refused(503, "webhooks are not configured: set DEALBOT_WEBHOOK_SECRET")
    signature = request.headers.get(SIGNATURE_HEADER)
    previous = services.settings.webhook_secret_previous
    secrets = [s.get_secret_value() for s in (secret, previous) if s is not None]
    try:
        verify_any(
            secrets,
            timestamp=request.headers.get(TIMESTAMP_HEADER),
            signature=signature,
            body=body,
            now=time.time(),
        )
    except BadSignature as bad:
        raise Refused(401, str(bad)) from None
    return signature or ""


def _delivery_key(request: Request, body: bytes, signature: str) -> str:
    """The sender's idempotency key, else its event id, else the signature (unique per delivery)."""
    given = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not given:
        data = _json(body)
        event_id = data.get("event_id") if isinstance(data, dict) else None
        given = event_id.strip() if isinstance(event_id, str) else ""
    if len(given) > MAX_KEY:
        raise Refused(422, f"{IDEMPOTENCY_HEADER} is over {MAX_KEY} characters", field="event_id")
    return f"key:{given}" if given else f"sig:{signature}"


def _json(body: bytes) -> Any:
    try:
        data = json.loads(body)
    except RecursionError:
        raise Refused(422, "the body is nested too deeply", field="body") from None
    except (UnicodeDecodeError, ValueError):
        raise Refused(422, "the body is not valid JSON", field="body") from None
    where = _nul_at(data)
    if where is not None:
        raise Refused(422, f"{where}: text may not contain NUL characters", field=where)
    return data


def _nul_at(data: Any) -> str | None:
    """Where the body holds a NUL character, if anywhere: PostgreSQL text cannot store one, and
    a body the database refuses would otherwise be a 503 that the sender retries forever."""
    stack: list[tuple[str, Any]] = [("body", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str) and "\x00" in value:
            return path
        if isinstance(value, dict):
            for key, item in value.items():
                name = key if path == "body" else f"{path}.{key}"
                if "\x00" in key:
                    return name
                stack.append((name, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{n}", item) for n, item in enumerate(value))
    return None


def _parsed(model: type[M], body: bytes) -> M:
    return _validated(model, _json(body))


def _validated(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise Refused(422, "the body must be a JSON object", field="body")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        problems = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "problem": e["msg"]}
            for e in error.errors()[:10]
        ]
        raise Refused(422, f"{where}: {first['msg']}", field=where, problems=problems) from None


def _body_doc(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "parameters": HEADERS,
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        },
    }
