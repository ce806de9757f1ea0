"""Neutral form -> Slack modal, and typeahead choices -> option list (via `slack_sdk.models`).

Each field becomes an input block whose block id and action id are the field's name, so a
submission reads back by name and field errors land next to the right input.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    DatePickerElement,
    ExternalDataSelectElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.slack.render import LABEL_LIMIT, cut
from core.messages import Choice, Form, FormField


def modal_view(form: Form, private_metadata: str = "") -> dict[str, Any]:
    view = View(
        type="modal",
        callback_id=form.form_id,
        title=PlainTextObject(text=cut(form.title, 24)),
        submit=PlainTextObject(text=cut(form.submit_label, 24)),
        close=PlainTextObject(text="Cancel"),
        blocks=[_input(field) for field in form.fields],
        private_metadata=private_metadata[:3000],
    )
    return view.to_dict()


def options(choices: tuple[Choice, ...]) -> list[dict[str, Any]]:
    """Typeahead results for a `block_suggestion` answer (at most 100)."""
    return [_option(choice).to_dict() for choice in choices[:100]]


def _input(field: FormField) -> InputBlock:
    return InputBlock(
        block_id=field.name,
        label=PlainTextObject(text=cut(field.label, 2000)),
        element=_element(field),
        optional=not field.required,
        hint=PlainTextObject(text=field.hint) if field.hint else None,
    )


def _element(field: FormField) -> Any:
    placeholder = PlainTextObject(text=cut(field.hint or field.label, 150))
    initial = next((c for c in field.choices if c.value == field.initial), None)
    if field.kind == "deal_search":
        return ExternalDataSelectElement(
            action_id=field.name,
            placeholder=placeholder,
            min_query_length=0,
            initial_option=_option(initial) if initial else None,
        )
    if field.kind == "select":
        return StaticSelectElement(
            action_id=field.name,
            placeholder=placeholder,
            options=[_option(c) for c in field.choices[:100]],
            initial_option=_option(initial) if initial else None,
        )
    if field.kind == "user":
        return UserSelectElement(action_id=field.name, placeholder=placeholder)
    if field.kind == "date":
        return DatePickerElement(action_id=field.name, placeholder=placeholder)
    return PlainTextInputElement(
        action_id=field.name,
        placeholder=placeholder,
        multiline=field.kind == "multiline",
        max_length=field.max_length,
        initial_value=field.initial,
    )


def _option(choice: Choice) -> Option:
    return Option(
        text=PlainTextObject(text=cut(choice.label, LABEL_LIMIT)), value=choice.value[:150]
    )
