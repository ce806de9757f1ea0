"""Transcript entries -> the HTML of a thread or a channel (pure: entries and names in, text out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.emulator.render import render_form, render_message
from core.messages import Choice, form_from_dict, message_from_dict
from storage.emulator import TranscriptEntry

EMPTY_DM = "No messages yet. Type /deals below, or wait for the morning digest."
EMPTY_CHANNEL = "Nothing here yet. Hot-lead alerts and SLA breaches for the team appear here."


def thread_html(
    entries: Sequence[TranscriptEntry],
    *,
    viewer_name: str,
    zone: ZoneInfo,
    empty: str,
) -> str:
    """A conversation as a list, oldest first; answers only the viewer sees are marked so."""
    if not entries:
        return f'<p class="empty">{escape(empty)}</p>'
    return '<ol class="thread">' + "".join(_entry(e, viewer_name, zone) for e in entries) + "</ol>"


def _entry(entry: TranscriptEntry, viewer_name: str, zone: ZoneInfo) -> str:
    typed = entry.kind == "typed"
    who = escape(viewer_name) if typed else "dealbot"
    private = entry.visible_to is not None and not typed
    badge = '<span class="badge">Only visible to you</span>' if private else ""
    classes = "entry" + (" private" if private else "") + (" typed" if typed else "")
    meta = (
        f'<div class="entry-meta"><span class="who">{who}</span>'
        f'<time datetime="{entry.created_at.isoformat()}">{_when(entry.created_at, zone)}</time>'
        f"{badge}</div>"
    )
    return f'<li class="{classes}" data-entry="{entry.id}">{meta}{_body(entry)}</li>'


def _body(entry: TranscriptEntry) -> str:
    payload = entry.payload
    if entry.kind == "typed":
        return f'<p class="typed-text">{escape(str(payload.get("typed", "")))}</p>'
    if entry.kind == "form":
        choices = _choices(payload.get("choices") or {})
        return render_form(
            form_from_dict(payload["form"]),
            choices=choices,
            values=payload.get("values") or {},
            errors=payload.get("errors") or {},
        )
    return render_message(message_from_dict(payload["message"]))


def _choices(raw: Mapping[str, Sequence[Sequence[str]]]) -> dict[str, tuple[Choice, ...]]:
    return {
        name: tuple(Choice(str(label), str(value)) for label, value in listed)
        for name, listed in raw.items()
    }


def _when(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %H:%M")


def clock_label(now: datetime, zone: ZoneInfo, place: str) -> str:
    """`Tue 24 Nov 2026, 15:02 UTC (10:02 in New York)`."""
    utc = now.strftime("%a %d %b %Y, %H:%M UTC")
    local = now.astimezone(zone).strftime("%H:%M")
    return f"{utc} ({local} {place})"
