"""Neutral form -> an Adaptive Card with inputs (Teams' answer to a Slack modal).

Each field becomes an input whose id is the field's name, so a submission reads back by name.
Choices the card cannot look up as the person types (Slack's deal typeahead, its user picker) are
passed in by the caller as plain lists. A form sent back with mistakes keeps what was typed and
shows each problem under its field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.teams.render import cut, execute, new_card, text_block
from core.messages import Choice, Form, FormField, Style

CHOICES_LIMIT = 100
FORM_KEY = "form"
CONTEXT_KEY = "context"


def render_form(
    form: Form,
    *,
    choices: Mapping[str, Sequence[Choice]] | None = None,
    values: Mapping[str, str | None] | None = None,
    errors: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The form as a card; `choices` replace a field's own, `values` refill it after errors."""
    choices, values, errors = choices or {}, values or {}, errors or {}
    card = new_card(fallback=form.title)
    card["body"].append(text_block(form.title, size="Large", weight="Bolder"))
    for field in form.fields:
        card["body"].append(_input(field, choices.get(field.name), values.get(field.name)))
        if field.name in errors:
            card["body"].append(text_block(errors[field.name], color="Attention", size="Small"))
    data = {FORM_KEY: form.form_id, CONTEXT_KEY: form.context}
    card["actions"] = [execute(form.submit_label, data, verb=form.form_id, style=Style.PRIMARY)]
    return card


def _input(field: FormField, choices: Sequence[Choice] | None, value: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {"id": field.name, "label": field.label}
    if field.required:
        element.update(isRequired=True, errorMessage=f"{field.label} is required.")
    initial = value if value is not None else field.initial
    if field.kind in ("select", "deal_search", "user"):
        listed = choices if choices is not None else field.choices
        element.update(
            type="Input.ChoiceSet",
            style="compact",
            choices=[
                {"title": cut(c.label, 200), "value": c.value} for c in listed[:CHOICES_LIMIT]
            ],
            placeholder=field.hint or field.label,
        )
    elif field.kind == "date":
        element.update(type="Input.Date")
    else:
        element.update(type="Input.Text", isMultiline=field.kind == "multiline")
        if field.max_length:
            element["maxLength"] = field.max_length
        if field.hint:
            element["placeholder"] = field.hint
    if initial:
        element["value"] = initial
    return element
