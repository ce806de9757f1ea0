"""A local fake of the Slack Web API: an HTTP server on 127.0.0.1 that records and answers calls.

Point a slack_sdk client at `fake.api_url` (`http://127.0.0.1:PORT/api/`) and it calls
`<api_url>chat.postMessage` as it would call Slack. Every request is recorded (method, parsed
params from a form, JSON or query string, headers including Authorization, the status answered),
and answered like Slack: `{"ok": true, ...}`. Payload `response_url`s can point at
`f"{fake.url}/response/<anything>"`; those posts are recorded as method "response_url".

Failures on demand: `fail("chat.postMessage", status=429, retry_after=1, times=2)` answers the next
two calls with 429 and a Retry-After header; `fail_randomly(...)` answers a share of calls so,
seeded for repeatable runs; `status=500` gives a server error, `error="channel_not_found"` a 200
with `ok: false`. `start_faults(rate=0.3, seed=7)` answers that share of every Web API call
(any method) with a 500 or a 429 with Retry-After, half and half, until `stop_faults()`: a failed
call changes nothing, as with Slack. `hold_next_post(token)` takes the next post made with that
token (it is in the channel's history and the call log) and holds its answer until
`release_held()`: the sender can be killed between Slack taking a message and hearing so.

Posted messages are remembered per channel (`history`, tests/fake_slack_history.py) and listed by
`conversations.history`. Used as the `fake_slack` pytest fixture and by the benchmarks.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any, Self

from tests.fake_slack_answers import slack_answer
from tests.fake_slack_faults import Failure, Faults, Hold
from tests.fake_slack_history import ChannelHistory
from tests.fake_slack_http import handler_for
from tests.local_http import start_server, stop_server


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
        self._failures: dict[str, list[Failure]] = {}
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self.history = ChannelHistory()
        self._faults: Faults | None = None
        self._hold: Hold | None = None

    # --- life cycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        self._server = start_server(handler_for(self), "fake-slack")
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
        failure = Failure(status, retry_after, error, times=times, match=dict(match or {}))
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
        self._plan(method, Failure(status, retry_after, error, rate=rate, rng=rng))

    def _plan(self, method: str, failure: Failure) -> None:
        with self._lock:
            self._failures.setdefault(method, []).append(failure)

    def start_faults(self, *, rate: float = 0.3, seed: int = 0, retry_after: float = 1) -> None:
        """From now on about `rate` of all Web API calls fail: 500, or 429 with Retry-After."""
        with self._lock:
            self._faults = Faults(rate, random.Random(seed), retry_after)

    def stop_faults(self) -> None:
        with self._lock:
            self._faults = None

    @property
    def faults_answered(self) -> int:
        with self._lock:
            return sum(
                1 for c in self._calls if c.status in (429, 500) and c.method != "response_url"
            )

    def hold_next_post(self, token: str) -> threading.Event:
        """Hold the answer to the next accepted chat.postMessage made with `token`.

        Returns an event set once a post is being held.
        """
        hold = Hold(token)
        with self._lock:
            self._hold = hold
        return hold.held

    def release_held(self) -> None:
        with self._lock:
            hold, self._hold = self._hold, None
        if hold is not None:
            hold.release.set()

    def _holding(self, call: Call) -> Hold | None:
        with self._lock:
            hold = self._hold
            if hold is None or hold.held.is_set() or not call.ok:
                return None
            if call.method != "chat.postMessage" or call.token != hold.token:
                return None
            hold.held.set()
            return hold

    def _failure_for(self, method: str, params: dict[str, Any]) -> Failure | None:
        with self._lock:
            planned = self._failures.get(method, [])
            return next((f for f in planned if f.applies(params) and f.fires()), None)

    # --- answering ------------------------------------------------------------------------------

    def answer(
        self, method: str, params: dict[str, Any], headers: dict[str, str], path: str
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        """Status, extra headers and JSON body for one call; records the call.

        A held post waits here (after it is recorded) until `release_held()`.
        """
        status, extra, body = self._decide(method, params, headers)
        error = None if body.get("ok") else str(body.get("error", "unknown"))
        call = Call(method, params, headers, status, path, time.monotonic(), error)
        with self._lock:
            self._calls.append(call)
        hold = self._holding(call)
        if hold is not None:
            hold.release.wait(timeout=120)
        return status, extra, body

    def _decide(
        self, method: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        failure = self._failure_for(method, params) or self._fault_for(method)
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

    def _fault_for(self, method: str) -> Failure | None:
        with self._lock:
            faults = self._faults
            if faults is None or method == "response_url" or faults.rng.random() >= faults.rate:
                return None
            if faults.rng.random() < 0.5:
                return Failure(429, faults.retry_after, None)
            return Failure(500, None, None)

    def next_ts(self) -> str:
        with self._lock:
            return f"{int(time.time())}.{next(self._ts):06d}"

    def next_id(self) -> int:
        with self._lock:
            return next(self._ts)

    def user_by_email(self, email: str) -> str | None:
        wanted = email.strip().lower()
        return next((u for u, e in self.directory.items() if e.lower() == wanted), None)
