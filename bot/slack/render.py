"""Neutral message -> Block Kit, as the plain dicts Slack takes, with Slack's limits kept.

Long content is cut before a limit would reject the message: text to 3,000 characters, a
header to 150, labels to 75, and the message to 50 blocks (100 for a view), with a closing
line saying how many items were left out. Text from deals and customers is escaped, so an
account named `<!channel>` cannot ping anyone.

The blocks are built as dicts, not with `slack_sdk.models`: those check every attribute of
every object on each render (a lead alert took about 1 ms), and the delivery worker renders
every message it sends. The tests parse each shape this module makes back through
`slack_sdk.models`, so a block Slack's own models would refuse fails there instead.
"""

from __future__ import annotations

from typing import Any

from core.messages import Button, Control, Message, Section, Select, Style

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
TEXT_LIMIT = 3000
HEADER_LIMIT = 150
LABEL_LIMIT = 75
FALLBACK_LIMIT = 3000
ELLIPSIS = "…"
Block = dict[str, Any]


def escape(text: str) -> str:
    """Slack's three control characters; everything else shows as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def render_message(
    message: Message, *, max_blocks: int = MESSAGE_BLOCKS
) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text for notifications, blocks) for chat.postMessage, a response or a view."""
    head: list[Block] = []
    if message.title:
        head.append({"type": "header", "text": _plain(cut(message.title, HEADER_LIMIT))})
    tail: list[Block] = []
    if message.controls:
        tail.append(_actions(message.controls, "message-controls"))
    if message.footer:
        tail.append(_context(message.footer))
    room = max_blocks - len(head) - len(tail) - 1  # one left for "and N more"
    body: list[Block] = []
    left_out = 0
    for section in message.sections:
        blocks = section_blocks(section)
        if len(body) + len(blocks) > room:
            left_out += 1
            continue
        body.extend(blocks)
    if left_out:
        body.append(_context(f"…and {left_out} more not shown here."))
    return cut(message.summary, FALLBACK_LIMIT), [*head, *body, *tail]


def section_blocks(section: Section) -> list[Block]:
    """A section block (heading in bold, text under it) and its actions block, if any."""
    lines = []
    if section.heading:
        lines.append(f"*{escape(section.heading)}*")
    if section.text:
        lines.append(escape(section.text))
    blocks: list[Block] = []
    suffix = f":{section.key}" if section.key else ""
    if lines or section.fields:
        block: Block = {"type": "section"}
        if lines:
            block["text"] = _markdown(cut("\n".join(lines), TEXT_LIMIT))
        if section.fields:
            block["fields"] = [
                _markdown(cut(f"*{escape(f.label)}*\n{escape(f.value)}", 2000))
                for f in section.fields[:10]
            ]
        if suffix:
            block["block_id"] = f"item{suffix}"
        blocks.append(block)
    if section.controls:
        blocks.append(_actions(section.controls, f"controls{suffix}" if suffix else None))
    return blocks


def _actions(controls: tuple[Control, ...], block_id: str | None) -> Block:
    block: Block = {"type": "actions", "elements": [_element(c) for c in controls[:25]]}
    if block_id:
        block["block_id"] = block_id
    return block


def _element(control: Control) -> Block:
    if isinstance(control, Button):
        button: Block = {
            "type": "button",
            "text": {**_plain(cut(control.label, LABEL_LIMIT)), "emoji": True},
            "action_id": control.action_id,
            "value": control.value,
        }
        if control.style is not Style.DEFAULT:
            button["style"] = control.style.value
        return button
    return _select(control)


def _select(control: Select) -> Block:
    return {
        "type": "static_select",
        "action_id": control.action_id,
        "placeholder": _plain(cut(control.placeholder, 150)),
        "options": [
            {"text": _plain(cut(o.label, LABEL_LIMIT)), "value": o.value}
            for o in control.options[:100]
        ],
    }


def _context(text: str) -> Block:
    return {"type": "context", "elements": [_markdown(cut(escape(text), TEXT_LIMIT))]}


def _plain(text: str) -> Block:
    return {"type": "plain_text", "text": text}


def _markdown(text: str) -> Block:
    return {"type": "mrkdwn", "text": text}


def home_view(message: Message) -> dict[str, Any]:
    """The App Home tab: the same message with a view's 100-block room."""
    _, blocks = render_message(message, max_blocks=VIEW_BLOCKS)
    return {"type": "home", "blocks": blocks}
