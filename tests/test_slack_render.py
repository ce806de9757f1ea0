"""Block Kit from neutral messages: every block is one Slack's own models accept, within limits."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from bot.slack.render import HEADER_LIMIT, LABEL_LIMIT, MESSAGE_BLOCKS, TEXT_LIMIT, render_message
from core.messages import Button, Field, Message, Option, Section, Select, Style

text = st.text(min_size=1, max_size=40) | st.text(min_size=2900, max_size=3200)
short = st.text(min_size=1, max_size=120)
ids = st.text("abcdefghijklmnopqrstuvwxyz:_-0123456789", min_size=1, max_size=60)
buttons = st.builds(Button, short, ids, ids, st.sampled_from(list(Style)))
selects = st.builds(
    Select, short, ids, st.lists(st.builds(Option, short, ids), min_size=1, max_size=120).map(tuple)
)
controls = st.lists(buttons | selects, max_size=30).map(tuple)
sections = st.builds(
    Section,
    heading=st.none() | short,
    text=st.none() | text,
    fields=st.lists(st.builds(Field, short, text), max_size=12).map(tuple),
    controls=controls,
    key=st.none() | ids,
)
messages = st.builds(
    Message,
    summary=text,
    title=st.none() | st.text(min_size=1, max_size=200),
    sections=st.lists(sections, max_size=40).map(tuple),
    footer=st.none() | text,
    controls=controls,
)


@settings(max_examples=150, deadline=None)
@given(messages)
def test_every_block_is_one_slack_sdk_models_build_the_same_and_accept(message: Message) -> None:
    fallback, blocks = render_message(message)
    assert len(fallback) <= TEXT_LIMIT and len(blocks) <= MESSAGE_BLOCKS
    for block in blocks:
        # to_dict() runs the models' checks of every limit and raises on a broken one.
        assert Block.parse(block).to_dict() == block  # type: ignore[union-attr]


def test_text_is_escaped_and_cut_where_slack_would_refuse_it() -> None:
    long_label = "x" * 100
    message = Message(
        summary="s",
        title="T" * 400,
        sections=(
            Section(
                heading="<!channel> & co",
                text="y" * 5000,
                controls=(Button(long_label, "a", "v", Style.PRIMARY),),
                key="7",
            ),
        ),
        footer="<@U1>",
    )
    _, (header, section, actions, footer) = render_message(message)
    assert len(header["text"]["text"]) == HEADER_LIMIT
    assert section["block_id"] == "item:7" and len(section["text"]["text"]) == TEXT_LIMIT
    assert section["text"]["text"].startswith("*&lt;!channel&gt; &amp; co*\n")
    assert actions["block_id"] == "controls:7"
    (button,) = actions["elements"]
    assert len(button["text"]["text"]) == LABEL_LIMIT and button["style"] == "primary"
    assert footer["elements"][0]["text"] == "&lt;@U1&gt;"


def test_sections_beyond_the_block_limit_are_counted_not_dropped_silently() -> None:
    message = Message(summary="s", sections=tuple(Section(heading=f"h{n}") for n in range(60)))
    _, blocks = render_message(message)
    assert len(blocks) == MESSAGE_BLOCKS
    assert blocks[-1]["elements"][0]["text"] == "…and 11 more not shown here."
