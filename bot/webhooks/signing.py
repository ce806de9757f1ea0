"""Webhook signatures: HMAC-SHA256 over the timestamp and the raw body, within a replay window.

The sender computes `v1=` + hex(HMAC-SHA256(secret, "v1:{timestamp}:{raw body}")) and sends it
in `X-Dealbot-Signature`, with the Unix timestamp in `X-Dealbot-Timestamp` (the scheme Slack
uses for its own requests, so it is familiar). A request older or newer than the window is a
replay, whatever its signature. Comparison is constant-time.

While a secret is being rotated, `verify_any` takes the new one and the previous one: senders
can move over one by one, and nothing is refused in between.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

SIGNATURE_HEADER = "X-Dealbot-Signature"
TIMESTAMP_HEADER = "X-Dealbot-Timestamp"
VERSION = "v1"
REPLAY_WINDOW_SECONDS = 300


class BadSignature(Exception):
    """Why a request is refused, in words safe to send back (no secret, no expected value)."""


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The signature header value for `body` sent at `timestamp`."""
    base = f"{VERSION}:{timestamp}:".encode() + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return f"{VERSION}={digest}"


def verify(
    secret: str,
    *,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float,
    window: int = REPLAY_WINDOW_SECONDS,
) -> None:
    """Return quietly for a genuine, fresh request; raise BadSignature otherwise."""
    if not timestamp or not signature:
        raise BadSignature(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    timestamp = timestamp.strip()
    try:
        sent = int(timestamp)
    except ValueError:
        raise BadSignature(f"{TIMESTAMP_HEADER} must be Unix seconds") from None
    if not now - window <= sent <= now + window:  # int/float comparison: exact, never overflows
        raise BadSignature(f"timestamp outside the {window} s window (replayed or clock skew)")
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise BadSignature("signature does not match")


def verify_any(
    secrets: Sequence[str],
    *,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float,
) -> None:
    """Like `verify`, passing when any of `secrets` (the current one first) signed the request."""
    problem = BadSignature("no webhook secret is configured")
    for secret in secrets:
        try:
            verify(secret, timestamp=timestamp, signature=signature, body=body, now=now)
            return
        except BadSignature as bad:
            problem = bad
    raise problem
