"""The fake Slack Web API's HTTP side: read a call's params as Slack does, answer it as JSON."""

from __future__ import annotations

import contextlib
import json
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from tests.local_http import send_json

if TYPE_CHECKING:
    from tests.fake_slack import FakeSlack

JSON_FIELDS = ("blocks", "attachments", "metadata", "view", "user_auth_blocks")
"""Form fields Slack takes as JSON text; the fake decodes them so tests can read them back."""


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


def handler_for(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body are two writes: without TCP_NODELAY each answer waits ~40 ms for an ACK.
        disable_nagle_algorithm = True

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
            with contextlib.suppress(OSError):  # the caller may be gone (killed while held)
                send_json(self, status, extra, body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the calls list is the log

    return Handler


def _method_of(path: str) -> str:
    if path.startswith("/response/") or path == "/response":
        return "response_url"
    return path.removeprefix("/api/").strip("/") or "unknown"
