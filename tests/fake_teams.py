"""A local fake of the Bot Framework for Teams: the Bot Connector service and its token keys.

An HTTP server on 127.0.0.1 that plays two parts:
- the Bot Connector (`serviceUrl` of the activities a test posts): it records every
  `POST /v3/conversations/{id}/activities[/{replyTo}]`, `PUT .../activities/{id}`,
  `GET .../members/{user}` and `POST /v3/conversations`, answers as Teams does, and can answer
  429 (with Retry-After), 412, 502, 504 or anything else on demand;
- the Bot Framework's token issuer: `/.well-known/openidconfiguration` and `/keys` publish an RSA
  key generated at start (endorsed for `msteams`), and `token()` signs JWTs with it, so the app
  checks them with botbuilder's own validation, pointed here by DEALBOT_TEAMS_OPENID_METADATA_URL.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import unquote, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.local_http import send_json, start_server, stop_server

ISSUER = "https://api.botframework.com"
OUTBOUND_TOKEN = "test-outbound-token"
"""What the app's stand-in token source hands out; the fake expects it on every connector call."""


@dataclass(frozen=True)
class Member:
    """A Teams user as the members API describes them."""

    teams_id: str
    object_id: str
    name: str
    email: str | None


@dataclass(frozen=True)
class Call:
    method: str
    """`send`, `reply`, `update`, `member`, `create` or `metadata`/`keys`."""
    conversation: str | None
    activity_id: str | None
    body: dict[str, Any]
    headers: dict[str, str]
    status: int

    @property
    def card(self) -> dict[str, Any] | None:
        attachments = self.body.get("attachments") or []
        return attachments[0]["content"] if attachments else None

    @property
    def text(self) -> str:
        return json.dumps(self.body, ensure_ascii=False)


@dataclass
class _Failure:
    status: int
    retry_after: float | None
    times: int | None

    def fires(self) -> bool:
        if self.times is None:
            return True
        if self.times <= 0:
            return False
        self.times -= 1
        return True


@functools.cache
def signing_key() -> rsa.RSAPrivateKey:
    """One key for every fake in the test run.

    botbuilder caches the signing keys it fetched by metadata URL for the whole process, and a
    later fake can get a port (so a URL) an earlier one had: with a key per fake, a token signed
    by the new key would meet the old cached key, under the same key id, and fail now and then.
    """
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class FakeTeams:
    members: dict[str, Member] = field(default_factory=dict)
    """Teams user id (29:...) -> profile, for the members API."""
    expect_token: str | None = OUTBOUND_TOKEN
    kid: str = "test-key-1"

    def __post_init__(self) -> None:
        self.key = signing_key()
        self._calls: list[Call] = []
        self._failures: dict[str, list[_Failure]] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # --- life cycle -----------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self._server = start_server(_handler_for(self), "fake-teams")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            stop_server(self._server)

    @property
    def url(self) -> str:
        assert self._server is not None, "the fake is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    @property
    def metadata_url(self) -> str:
        return self.url + ".well-known/openidconfiguration"

    # --- tokens -----------------------------------------------------------------------------------

    def token(self, app_id: str, service_url: str | None = None, **overrides: Any) -> str:
        """A Bot Framework token for `app_id`, as the Bot Connector signs them (1 hour)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": app_id,
            "serviceurl": service_url or self.url,
        }
        claims |= {"nbf": now - 10, "iat": now - 10, "exp": now + 3600}
        claims.update(overrides)
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})

    def jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "endorsements": ["msteams"]}]}

    # --- what it saw ------------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_for(self, *methods: str, ok_only: bool = False) -> list[Call]:
        return [c for c in self.calls if c.method in methods and (c.status < 300 or not ok_only)]

    def wait_for(self, *methods: str, count: int = 1, timeout: float = 15.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.calls_for(*methods)) >= count:
                time.sleep(0.05)
                return self.calls_for(*methods)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} {methods} call(s), saw {self.calls}")

    def fail(
        self, method: str, *, status: int, retry_after: float | None = None, times: int | None = 1
    ) -> None:
        with self._lock:
            self._failures.setdefault(method, []).append(_Failure(status, retry_after, times))

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._failures.clear()

    # --- answering --------------------------------------------------------------------------------

    def answer(
        self, verb: str, path: str, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        method, conversation, activity_id = _route(verb, path)
        if method in ("metadata", "keys"):
            return 200, {}, self._published(method)
        status, extra, answer = self._decide(method, conversation, activity_id, body, headers)
        call = Call(method, conversation, activity_id, body, headers, status)
        with self._lock:
            self._calls.append(call)
        return status, extra, answer

    def _published(self, method: str) -> dict[str, Any]:
        if method == "keys":
            return self.jwks()
        return {"issuer": ISSUER, "jwks_uri": self.url + "keys"}

    def _decide(
        self,
        method: str,
        conversation: str | None,
        activity_id: str | None,
        body: dict[str, Any],
        headers: dict[str, str],
    ) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            planned = self._failures.get(method, [])
            failure = next((f for f in planned if f.fires()), None)
        if failure is not None:
            extra = {"Retry-After": f"{failure.retry_after:g}"} if failure.retry_after else {}
            return failure.status, extra, {"error": {"code": "Planned", "message": "planned"}}
        if self.expect_token and headers.get("authorization") != f"Bearer {self.expect_token}":
            return 401, {}, {"error": {"code": "Unauthorized", "message": "no valid token"}}
        if method == "member":
            return self._member(activity_id or "")
        if method == "create":
            return 201, {}, {"id": f"a:chat-{next(self._ids)}"}
        if method == "update":
            return 200, {}, {"id": activity_id}
        if method in ("send", "reply"):
            return 201, {}, {"id": f"1:{next(self._ids)}"}
        return 404, {}, {"error": {"code": "NotFound", "message": method}}

    def _member(self, user_id: str) -> tuple[int, dict[str, str], Any]:
        member = self.members.get(user_id)
        if member is None:
            return 404, {}, {"error": {"code": "MemberNotFoundInConversation", "message": "?"}}
        found = {"id": member.teams_id, "name": member.name, "aadObjectId": member.object_id}
        found |= {"givenName": member.name.split()[0], "tenantId": "test-tenant"}
        if member.email:
            found |= {"email": member.email, "userPrincipalName": member.email}
        return 200, {}, found


_ROUTES = [
    ("GET", re.compile(r"^/\.well-known/openidconfiguration$"), "metadata"),
    ("GET", re.compile(r"^/keys$"), "keys"),
    ("POST", re.compile(r"^/v3/conversations$"), "create"),
    ("POST", re.compile(r"^/v3/conversations/([^/]+)/activities$"), "send"),
    ("POST", re.compile(r"^/v3/conversations/([^/]+)/activities/([^/]+)$"), "reply"),
    ("PUT", re.compile(r"^/v3/conversations/([^/]+)/activities/([^/]+)$"), "update"),
    ("GET", re.compile(r"^/v3/conversations/([^/]+)/members/([^/]+)$"), "member"),
]


def _route(verb: str, path: str) -> tuple[str, str | None, str | None]:
    for want, pattern, method in _ROUTES:
        found = pattern.match(path)
        if want == verb and found:
            groups = [unquote(g) for g in found.groups()] + [None, None]
            return method, groups[0], groups[1]
    return f"unknown {verb} {path}", None, None


def _handler_for(fake: FakeTeams) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body are two writes: without TCP_NODELAY each answer waits ~40 ms for an ACK.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PUT(self) -> None:
            self._handle("PUT")

        def _handle(self, verb: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw.strip() else {}
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, answer = fake.answer(verb, urlsplit(self.path).path, body, headers)
            send_json(self, status, extra, answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the calls list is the log

    return Handler
