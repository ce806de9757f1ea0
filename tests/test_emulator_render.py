"""The emulator's HTML renderer: every message the handlers produce, every element, all escaped."""

from __future__ import annotations

import dataclasses
import enum
import inspect
import re
from html.parser import HTMLParser

import pytest

import core.messages
from bot.emulator.render import FIELD_KINDS, RENDERED, render_form, render_message
from core.messages import (
    Button,
    Choice,
    Field,
    Form,
    FormField,
    Message,
    Option,
    Section,
    Select,
    Style,
)
from tests.test_teams_cards import MESSAGES, log_form

NASTY = "<script>alert('x')</script> & \"Acme\" <b>"


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector


def test_every_element_type_of_the_neutral_message_has_html() -> None:
    defined = {
        obj
        for _, obj in inspect.getmembers(core.messages, inspect.isclass)
        if obj.__module__ == "core.messages"
        and (dataclasses.is_dataclass(obj) or issubclass(obj, enum.Enum))
    }
    assert defined, "no element types found in core.messages"
    missing = sorted(t.__name__ for t in defined - RENDERED)
    assert not missing, f"no HTML for {missing}: teach bot/emulator/render.py to draw them"


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_every_message_the_handlers_produce_renders_with_its_controls(name: str) -> None:
    message = MESSAGES[name]
    html = render_message(message)
    found = parsed(html)
    controls = [c for s in message.sections for c in s.controls] + list(message.controls)
    buttons = [a for tag, a in found.tags if tag == "button"]
    selects = [a for tag, a in found.tags if tag == "select"]
    assert len(buttons) == sum(isinstance(c, Button) for c in controls)
    assert len(selects) == sum(isinstance(c, Select) for c in controls)
    for control, attrs in zip([c for c in controls if isinstance(c, Button)], buttons, strict=True):
        assert attrs["data-action-id"] == control.action_id
        assert attrs["data-value"] == control.value
    text = "".join(found.text)
    for section in message.sections:
        for part in (section.heading, section.text):
            if part:
                assert part in text
    if message.title:
        assert message.title in text


def test_text_attributes_and_options_are_escaped() -> None:
    message = Message(
        summary=NASTY,
        title=NASTY,
        sections=(
            Section(
                heading=NASTY,
                text=NASTY,
                fields=(Field(NASTY, NASTY),),
                controls=(
                    Button(NASTY, "dealbot.done", NASTY, Style.DANGER),
                    Select(NASTY, "dealbot.snooze", (Option(NASTY, NASTY),)),
                ),
                key=NASTY,
            ),
        ),
        footer=NASTY,
    )
    html = render_message(message)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&amp;" in html and "&quot;Acme&quot;" in html
    found = parsed(html)
    assert not [tag for tag, _ in found.tags if tag in ("script", "b")]
    values = [a.get("data-value") for tag, a in found.tags if tag == "button"]
    assert values == [NASTY]  # the attribute reads back exactly as the handler wrote it
    assert [a.get("value") for tag, a in found.tags if tag == "option"][1] == NASTY
    assert (
        "".join(found.text).count(NASTY) == 9
    )  # title, heading, text, field x2, button, select x2, footer


def test_a_form_has_an_input_per_field_by_name_and_shows_values_and_errors() -> None:
    form = log_form(deal="7")
    choices = {"deal": (Choice("Acme EU (Acme)", "7"), Choice(NASTY, "8"))}
    html = render_form(
        form,
        choices=choices,
        values={"notes": NASTY, "next_due": "2020-01-01"},
        errors={"next_due": "That date is past; pick today or later."},
    )
    found = parsed(html)
    named = [(tag, a) for tag, a in found.tags if a.get("name")]
    assert [a["name"] for _, a in named] == [f.name for f in form.fields]
    kinds = {a["name"]: (tag, a.get("type")) for tag, a in named}
    assert kinds["notes"] == ("textarea", None)
    assert kinds["next_due"] == ("input", "date")
    assert kinds["deal"] == ("select", None)
    assert kinds["next_text"] == ("input", "text")
    assert [a["name"] for _, a in named if "required" in a] == ["deal", "kind"]
    selected = [a for tag, a in found.tags if tag == "option" and "selected" in a]
    assert [a["value"] for a in selected] == ["7", "call"]
    assert "That date is past" in "".join(found.text)
    assert "<script>" not in html and NASTY in "".join(found.text)


def test_every_field_kind_draws_and_an_unknown_one_is_refused() -> None:
    fields = tuple(FormField(kind, kind.title(), kind) for kind in sorted(FIELD_KINDS))
    html = render_form(Form("f", "All kinds", "Save", fields))
    assert len(re.findall(r'name="', html)) == len(FIELD_KINDS)
    with pytest.raises(ValueError, match="no HTML for a form field of kind 'slider'"):
        render_form(Form("f", "Bad", "Save", (FormField("x", "X", "slider"),)))


def test_an_unknown_control_is_refused_rather_than_dropped() -> None:
    message = Message(summary="x", sections=(Section(controls=(Field("a", "b"),)),))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="no HTML for a Field control"):
        render_message(message)
