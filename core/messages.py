"""The neutral message: what a handler says, before any platform decides how it looks.

Handlers return these; `bot/slack` renders them as Block Kit, `bot/teams` as an Adaptive Card and
the emulator as HTML. Text is plain: renderers add their own emphasis and escaping, so a deal
named `*Acme*` or `<Acme>` shows as typed on every surface.

Every control carries an `action_id` (what to do) and a `value` (on what), both short strings; the
platform translators turn a press back into a command from those two alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Style(StrEnum):
    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action_id: str
    value: str
    style: Style = Style.DEFAULT


@dataclass(frozen=True, slots=True)
class Option:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Select:
    """A menu of choices; picking one is the press (e.g. snooze until, advance to stage)."""

    placeholder: str
    action_id: str
    options: tuple[Option, ...]


Control = Button | Select


@dataclass(frozen=True, slots=True)
class Field:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Section:
    """One item: a bold heading line, plain text under it, label/value fields, then controls."""

    heading: str | None = None
    text: str | None = None
    fields: tuple[Field, ...] = ()
    controls: tuple[Control, ...] = ()
    key: str | None = None
    """A stable id for the item (an action's UUID), so a surface can update it in place."""


@dataclass(frozen=True, slots=True)
class Message:
    """A whole reply or notification. `summary` is the plain one-liner for notifications."""

    summary: str
    title: str | None = None
    sections: tuple[Section, ...] = ()
    footer: str | None = None
    controls: tuple[Control, ...] = ()
    """Controls for the message as a whole (e.g. "More", "Undo"), shown after the sections."""
    private: bool = True
    """Only the person who asked sees it (Slack: ephemeral). Notifications set their own target."""


@dataclass(frozen=True, slots=True)
class Choice:
    """A pick list for a form field (deal, stage, activity type)."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class FormField:
    name: str
    label: str
    kind: str
    """text, multiline, select, date or user."""
    required: bool = False
    choices: tuple[Choice, ...] = ()
    initial: str | None = None
    hint: str | None = None
    max_length: int | None = None


@dataclass(frozen=True, slots=True)
class Form:
    """A form to fill in (Slack: a modal; Teams: an input card)."""

    form_id: str
    title: str
    submit_label: str
    fields: tuple[FormField, ...]
    context: str = ""
    """Opaque state carried through the form and back on submit (e.g. the deal it is about)."""


def message_to_dict(message: Message) -> dict[str, Any]:
    """A JSON-safe form of a message, for the outbox; `message_from_dict` reverses it."""
    return {
        "summary": message.summary,
        "title": message.title,
        "sections": [_section_to_dict(s) for s in message.sections],
        "footer": message.footer,
        "controls": [_control_to_dict(c) for c in message.controls],
        "private": message.private,
    }


def message_from_dict(data: Mapping[str, Any]) -> Message:
    return Message(
        summary=str(data["summary"]),
        title=data.get("title"),
        sections=tuple(_section_from_dict(s) for s in data.get("sections", ())),
        footer=data.get("footer"),
        controls=tuple(_control_from_dict(c) for c in data.get("controls", ())),
        private=bool(data.get("private", True)),
    )


def _section_to_dict(section: Section) -> dict[str, Any]:
    return {
        "heading": section.heading,
        "text": section.text,
        "fields": [[f.label, f.value] for f in section.fields],
        "controls": [_control_to_dict(c) for c in section.controls],
        "key": section.key,
    }


def _section_from_dict(data: Mapping[str, Any]) -> Section:
    return Section(
        heading=data.get("heading"),
        text=data.get("text"),
        fields=tuple(Field(str(label), str(value)) for label, value in data.get("fields", ())),
        controls=tuple(_control_from_dict(c) for c in data.get("controls", ())),
        key=data.get("key"),
    )


def _control_to_dict(control: Control) -> dict[str, Any]:
    if isinstance(control, Button):
        return {
            "type": "button",
            "label": control.label,
            "action_id": control.action_id,
            "value": control.value,
            "style": control.style.value,
        }
    return {
        "type": "select",
        "placeholder": control.placeholder,
        "action_id": control.action_id,
        "options": [[o.label, o.value] for o in control.options],
    }


def _control_from_dict(data: Mapping[str, Any]) -> Control:
    if data["type"] == "button":
        return Button(
            str(data["label"]), str(data["action_id"]), str(data["value"]), Style(data["style"])
        )
    options = tuple(Option(str(label), str(value)) for label, value in data["options"])
    return Select(str(data["placeholder"]), str(data["action_id"]), options)


def form_to_dict(form: Form) -> dict[str, Any]:
    """A JSON-safe form of a form (the emulator keeps open forms in its transcript)."""
    return {
        "form_id": form.form_id,
        "title": form.title,
        "submit_label": form.submit_label,
        "context": form.context,
        "fields": [
            {
                "name": f.name,
                "label": f.label,
                "kind": f.kind,
                "required": f.required,
                "choices": [[c.label, c.value] for c in f.choices],
                "initial": f.initial,
                "hint": f.hint,
                "max_length": f.max_length,
            }
            for f in form.fields
        ],
    }


def form_from_dict(data: Mapping[str, Any]) -> Form:
    fields = tuple(
        FormField(
            name=str(f["name"]),
            label=str(f["label"]),
            kind=str(f["kind"]),
            required=bool(f.get("required", False)),
            choices=tuple(Choice(str(label), str(value)) for label, value in f.get("choices", ())),
            initial=f.get("initial"),
            hint=f.get("hint"),
            max_length=f.get("max_length"),
        )
        for f in data.get("fields", ())
    )
    return Form(
        str(data["form_id"]),
        str(data["title"]),
        str(data["submit_label"]),
        fields,
        str(data.get("context", "")),
    )
