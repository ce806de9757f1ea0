"""The fake Slack's memory of the messages it took, and `conversations.history` over it.

As Slack does: a message posted to a user id lands in the DM channel (`D...`) the answer names;
`chat.update` changes the stored message in place; history lists a channel's messages newest
first, between `oldest` and `latest` (both exclusive unless `inclusive`), at most `limit` (100
by default, 999 at most) a page, with `has_more` and `response_metadata.next_cursor` for the next
page. A message's `metadata` (event_type, event_payload) comes back only with
`include_all_metadata`.
"""

from __future__ import annotations

import threading
from typing import Any

DEFAULT_LIMIT = 100
MAX_LIMIT = 999
BOT_USER, BOT_ID, APP_ID = "U0BOT", "B0BOT", "A0FAKE"
CURSOR_PREFIX = "next_ts:"


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def _number(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


class ChannelHistory:
    """Messages per channel id, in the order they were posted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: dict[str, list[dict[str, Any]]] = {}

    def posted(
        self, channel: str, ts: str, params: dict[str, Any], author: dict[str, str] | None = None
    ) -> None:
        """A message in `channel`: by the bot, or by `author` (e.g. `{"user": "U1"}`)."""
        by = (
            author if author is not None else {"user": BOT_USER, "bot_id": BOT_ID, "app_id": APP_ID}
        )
        message = {"type": "message", **by, "ts": ts, "text": str(params.get("text", ""))}
        for name in ("blocks", "metadata"):
            if name in params:
                message[name] = params[name]
        with self._lock:
            self._messages.setdefault(channel, []).append(message)

    def updated(self, channel: str, ts: str, params: dict[str, Any]) -> bool:
        """Apply a chat.update; False when there is no such message."""
        with self._lock:
            for message in self._messages.get(channel, []):
                if message["ts"] == ts:
                    message.update(
                        {k: params[k] for k in ("text", "blocks", "metadata") if k in params}
                    )
                    message["edited"] = {"user": BOT_USER, "ts": ts}
                    return True
        return False

    def messages(self, channel: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self._messages.get(channel, [])]

    def page(self, params: dict[str, Any]) -> dict[str, Any]:
        """The answer to one `conversations.history` call."""
        channel = str(params.get("channel", ""))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        inclusive = _truthy(params.get("inclusive"))
        oldest = _number(params.get("oldest"), 0.0)
        latest = _number(params.get("latest"), float("inf"))
        cursor = str(params.get("cursor") or "")
        if cursor.startswith(CURSOR_PREFIX):
            latest, inclusive_latest = _number(cursor.removeprefix(CURSOR_PREFIX), latest), False
        else:
            inclusive_latest = inclusive
        limit = max(1, min(MAX_LIMIT, int(_number(params.get("limit"), DEFAULT_LIMIT))))

        def in_range(ts: float) -> bool:
            after = ts >= oldest if inclusive else ts > oldest
            before = ts <= latest if inclusive_latest else ts < latest
            return after and before

        found = [m for m in reversed(self.messages(channel)) if in_range(float(m["ts"]))]
        shown, more = found[:limit], len(found) > limit
        if not _truthy(params.get("include_all_metadata")):
            shown = [{k: v for k, v in m.items() if k != "metadata"} for m in shown]
        next_cursor = CURSOR_PREFIX + shown[-1]["ts"] if more else ""
        return {"ok": True, "messages": shown, "has_more": more, "pin_count": 0,
                "response_metadata": {"next_cursor": next_cursor}}  # fmt: skip
