"""A local fake of the Slack Web API: an HTTP server on 127.0.0.1 that records and answers calls.

Point a slack_sdk client at `fake.api_url` (`http://127.0.0.1:PORT/api/`) and it calls
`<api_url>chat.postMessage` as it would call Slack. Every request is recorded (method, parsed
params from a form, JSON or query string, headers including Authorization, the status answered),
and answered like Slack: `{"ok": true, ...}`. Payload `response_url`s can point at
`f"{fake.url}/response/<anything>"`; those posts are recorded as method "response_url".

Failures on demand: `fail("chat.postMessage", status=429, retry_after=1, times=2)` answers the next
two calls with 429 and a Retry-After header; `fail_randomly(...)` answers a share of calls so,
seeded for repeatable runs; `status=500` gives a server error, `error="channel_not_found"` a 200
with `ok: false`. Used as the `fake_slack` pytest fixture and by the benchmarks.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from tests.fake_slack_answers import slack_answer
from tests.local_http import send_json, start_server, stop_server

JSON_FIELDS = ("blocks", "attachments", "metadata", "view", "user_auth_blocks")
"""Form fields Slack takes as JSON text; the fake decodes them so tests can read them back."""


@dataclass(frozen=True)
class Call:
    """One request the fake received, and the HTTP status it answered with."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    status: int
    path: str
    at: float
    error: str | None = None
    """Slack's error code when the answer was `ok: false`."""

    @property
    def ok(self) -> bool:
        """Slack took it: HTTP 200 and `ok: true`."""
        return self.status == 200 and self.error is None

    @property
    def token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None


@dataclass
class _Failure:
    status: int
    retry_after: float | None
    error: str | None
    times: int | None = None
    """Calls left to fail; None for every call (or, with `rate`, a share of them)."""
    rate: float | None = None
    rng: random.Random = field(default_factory=random.Random)
    match: dict[str, Any] = field(default_factory=dict)
    """Only calls whose params hold these values (e.g. {"channel": "C404"})."""

    def applies(self, params: dict[str, Any]) -> bool:
        return all(params.get(name) == value for name, value in self.match.items())

    def fires(self) -> bool:
        if self.rate is not None:
            return self.rng.random() < self.rate
        if self.times is None:
            return True
        if self.times <= 0:
            return False
        self.times -= 1
        return True


class FakeSlack:
    """The server and what it saw. Start it with `with FakeSlack() as fake:` or `start()`/`stop()`."""

    def __init__(
        self, directory: dict[str, str] | None = None, *, token: str | None = None
    ) -> None:
        self.directory: dict[str, str] = dict(directory or {})
        """Slack user id -> email, for users.info and users.lookupByEmail."""
        self.token = token
        """When set, a call without `Authorization: Bearer <token>` gets `invalid_auth`."""
        self.latency = 0.0
        """Seconds every answer waits, to imitate a network round trip."""
        self._calls: list[Call] = []
        self._failures: dict[str, list[_Failure]] = {}
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # --- life cycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        self._server = start_server(_handler_for(self), "fake-slack")
        return self

    def stop(self) -> None:
        if self._server is not None:
            stop_server(self._server)
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake Slack server is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        """The base URL a slack_sdk client takes (`base_url=`), trailing slash included."""
        return f"{self.url}/api/"

    # --- what it saw ----------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_for(self, method: str, *, ok_only: bool = False) -> list[Call]:
        return [c for c in self.calls if c.method == method and (c.ok or not ok_only)]

    def reset(self) -> None:
        """Forget the calls and the failures still planned (the directory stays)."""
        with self._lock:
            self._calls.clear()
            self._failures.clear()

    # --- failures on demand ---------------------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: float | None = 1,
        times: int | None = 1,
        error: str | None = None,
        match: dict[str, Any] | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` (every call when None) with this failure.

        `error` sets Slack's error code (with status 200: an `ok: false` answer); `match` limits
        the failure to calls with these params, e.g. `match={"channel": "C404"}`.
        """
        failure = _Failure(status, retry_after, error, times=times, match=dict(match or {}))
        self._plan(method, failure)

    def fail_randomly(
        self,
        method: str,
        *,
        status: int = 429,
        rate: float = 0.1,
        retry_after: float | None = 1,
        seed: int | None = None,
        error: str | None = None,
    ) -> None:
        """Answer about `rate` of the calls of `method` with this failure, until `reset()`."""
        rng = random.Random(seed)
        self._plan(method, _Failure(status, retry_after, error, rate=rate, rng=rng))

    def _plan(self, method: str, failure: _Failure) -> None:
        with self._lock:
            self._failures.setdefault(method, []).append(failure)

    def _failure_for(self, method: str, params: dict[str, Any]) -> _Failure | None:
        with self._lock:
            planned = self._failures.get(method, [])
            return next((f for f in planned if f.applies(params) and f.fires()), None)

    # --- answering ------------------------------------------------------------------------------

    def answer(
        self, method: str, params: dict[str, Any], headers: dict[str, str], path: str
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        """Status, extra headers and JSON body for one call; records the call."""
        status, extra, body = self._decide(method, params, headers)
        error = None if body.get("ok") else str(body.get("error", "unknown"))
        call = Call(method, params, headers, status, path, time.monotonic(), error)
        with self._lock:
            self._calls.append(call)
        return status, extra, body

    def _decide(
        self, method: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        failure = self._failure_for(method, params)
        if failure is not None:
            extra = {}
            if failure.retry_after is not None:
                extra["Retry-After"] = f"{failure.retry_after:g}"
            default = "ratelimited" if failure.status == 429 else "internal_error"
            return failure.status, extra, {"ok": False, "error": failure.error or default}
        wrong_token = headers.get("authorization") != f"Bearer {self.token}"
        if self.token is not None and method != "response_url" and wrong_token:
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        return 200, {}, slack_answer(self, method, params)

    def next_ts(self) -> str:
        with self._lock:
            return f"{int(time.time())}.{next(self._ts):06d}"

    def next_id(self) -> int:
        with self._lock:
            return next(self._ts)

    def user_by_email(self, email: str) -> str | None:
        wanted = email.strip().lower()
        return next((u for u, e in self.directory.items() if e.lower() == wanted), None)


def parse_params(raw: bytes, content_type: str, query: str) -> dict[str, Any]:
    """Params as Slack reads them: JSON body, form body or query string, JSON fields decoded."""
    params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query).items()}
    if "application/json" in content_type:
        body = json.loads(raw or b"{}")
        params.update(body if isinstance(body, dict) else {"payload": body})
        return params
    params.update({k: v[-1] for k, v in parse_qs(raw.decode("utf-8")).items()})
    for name in JSON_FIELDS:
        if isinstance(params.get(name), str):
            with contextlib.suppress(ValueError):
                params[name] = json.loads(params[name])
    return params


def _handler_for(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self._handle()

        def do_GET(self) -> None:
            self._handle()

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            params = parse_params(raw, self.headers.get("Content-Type", ""), parts.query)
            headers = {k.lower(): v for k, v in self.headers.items()}
            method = _method_of(parts.path)
            if fake.latency:
                time.sleep(fake.latency)
            status, extra, body = fake.answer(method, params, headers, parts.path)
            send_json(self, status, extra, body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the calls list is the log

    return Handler


def _method_of(path: str) -> str:
    if path.startswith("/response/") or path == "/response":
        return "response_url"
    return path.removeprefix("/api/").strip("/") or "unknown"
