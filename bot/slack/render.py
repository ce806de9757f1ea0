"""Neutral message -> Block Kit, built with `slack_sdk.models` so Slack's limits are checked.

Long content is cut before a limit would reject the message: text to 3,000 characters, a
header to 150, labels to 75, and the message to 50 blocks (100 for a view), with a closing
line saying how many items were left out. Text from deals and customers is escaped, so an
account named `<!channel>` cannot ping anyone.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)

from core.messages import Button, Control, Message, Section, Select, Style

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
TEXT_LIMIT = 3000
HEADER_LIMIT = 150
LABEL_LIMIT = 75
FALLBACK_LIMIT = 3000
ELLIPSIS = "…"


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
        head.append(HeaderBlock(text=PlainTextObject(text=cut(message.title, HEADER_LIMIT))))
    tail: list[Block] = []
    if message.controls:
        tail.append(ActionsBlock(block_id="message-controls", elements=_elements(message.controls)))
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
    rendered = [block.to_dict() for block in (*head, *body, *tail)]
    return cut(message.summary, FALLBACK_LIMIT), rendered


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
        fields = [
            MarkdownTextObject(text=cut(f"*{escape(f.label)}*\n{escape(f.value)}", 2000))
            for f in section.fields[:10]
        ]
        blocks.append(
            SectionBlock(
                block_id=f"item{suffix}" if suffix else None,
                text=MarkdownTextObject(text=cut("\n".join(lines), TEXT_LIMIT)) if lines else None,
                fields=fields or None,
            )
        )
    if section.controls:
        blocks.append(
            ActionsBlock(
                block_id=f"controls{suffix}" if suffix else None,
                elements=_elements(section.controls),
            )
        )
    return blocks


def _elements(controls: tuple[Control, ...]) -> list[ButtonElement | StaticSelectElement]:
    return [_element(control) for control in controls[:25]]


def _element(control: Control) -> ButtonElement | StaticSelectElement:
    if isinstance(control, Button):
        style = None if control.style is Style.DEFAULT else control.style.value
        return ButtonElement(
            text=cut(control.label, LABEL_LIMIT),
            action_id=control.action_id,
            value=control.value,
            style=style,
        )
    return _select(control)


def _select(control: Select) -> StaticSelectElement:
    return StaticSelectElement(
        placeholder=PlainTextObject(text=cut(control.placeholder, 150)),
        action_id=control.action_id,
        options=[
            Option(text=PlainTextObject(text=cut(o.label, LABEL_LIMIT)), value=o.value)
            for o in control.options[:100]
        ],
    )


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=cut(escape(text), TEXT_LIMIT))])


def home_view(message: Message) -> dict[str, Any]:
    """The App Home tab: the same message with a view's 100-block room."""
    _, blocks = render_message(message, max_blocks=VIEW_BLOCKS)
    return {"type": "home", "blocks": blocks}
