"""Neutral message or form -> HTML, as pure functions (no I/O): the emulator's Block Kit.

Every piece of text is escaped here, attributes included, so a deal named `<script>` or
`"Acme" & Sons` shows as typed and runs nothing. Controls carry their `action_id` and `value` in
data attributes; the page's script posts them back as they are, and the server turns the pair
into a command with `core.commands.parse_control`, as it does for Slack and Teams.

`RENDERED` names every element type of `core.messages` this module draws; a test compares it with
the types the module defines, so a new element cannot reach a surface without HTML for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape

from core.messages import (
    Button,
    Choice,
    Control,
    Field,
    Form,
    FormField,
    Message,
    Option,
    Section,
    Select,
    Style,
)

RENDERED = frozenset(
    {Message, Section, Field, Button, Select, Option, Style, Form, FormField, Choice}
)
FIELD_KINDS = frozenset({"text", "multiline", "select", "deal_search", "user", "date"})


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def render_message(message: Message) -> str:
    """The message as an HTML fragment: title, sections, message controls, footer."""
    parts = ['<div class="dm-message">']
    if message.title:
        parts.append(f'<div class="dm-title">{_e(message.title)}</div>')
    parts.extend(_section(s) for s in message.sections)
    if not message.title and not message.sections:
        parts.append(f'<p class="dm-text">{_e(message.summary)}</p>')
    if message.controls:
        parts.append(_controls(message.controls))
    if message.footer:
        parts.append(f'<div class="dm-footer">{_e(message.footer)}</div>')
    parts.append("</div>")
    return "".join(parts)


def _section(section: Section) -> str:
    key = f' data-key="{_e(section.key)}"' if section.key else ""
    parts = [f'<section class="dm-section"{key}>']
    if section.heading:
        parts.append(f'<div class="dm-heading">{_e(section.heading)}</div>')
    if section.text:
        parts.append(f'<p class="dm-text">{_e(section.text)}</p>')
    if section.fields:
        parts.append('<dl class="dm-fields">')
        parts.extend(_field(f) for f in section.fields)
        parts.append("</dl>")
    if section.controls:
        parts.append(_controls(section.controls))
    parts.append("</section>")
    return "".join(parts)


def _field(field: Field) -> str:
    return f"<div><dt>{_e(field.label)}</dt><dd>{_e(field.value)}</dd></div>"


def _controls(controls: Sequence[Control]) -> str:
    return '<div class="dm-controls">' + "".join(_control(c) for c in controls) + "</div>"


def _control(control: Control) -> str:
    draw = CONTROLS.get(type(control))
    if draw is None:
        raise TypeError(f"no HTML for a {type(control).__name__} control")
    return draw(control)


def _button(button: Button) -> str:
    style = {Style.PRIMARY: " dm-primary", Style.DANGER: " dm-danger"}.get(button.style, "")
    return (
        f'<button type="button" class="dm-button{style}" data-action-id="{_e(button.action_id)}"'
        f' data-value="{_e(button.value)}">{_e(button.label)}</button>'
    )


def _select(select: Select) -> str:
    options = "".join(_option(o) for o in select.options)
    return (
        f'<select class="dm-select" data-action-id="{_e(select.action_id)}"'
        f' aria-label="{_e(select.placeholder)}">'
        f'<option value="" selected disabled>{_e(select.placeholder)}</option>{options}</select>'
    )


def _option(option: Option) -> str:
    return f'<option value="{_e(option.value)}">{_e(option.label)}</option>'


CONTROLS: Mapping[type, Callable[..., str]] = {Button: _button, Select: _select}


def render_form(
    form: Form,
    *,
    choices: Mapping[str, Sequence[Choice]] | None = None,
    values: Mapping[str, str | None] | None = None,
    errors: Mapping[str, str] | None = None,
) -> str:
    """The form as an HTML form; `choices` replace a field's own (the deal list, the team),
    `values` refill it after mistakes and `errors` show each problem under its field."""
    choices, values, errors = choices or {}, values or {}, errors or {}
    parts = [
        f'<form class="dm-form" data-form-id="{_e(form.form_id)}">',
        f'<div class="dm-title">{_e(form.title)}</div>',
    ]
    for field in form.fields:
        listed = choices.get(field.name, field.choices)
        value = values.get(field.name)
        parts.append(_form_field(field, listed, value if value is not None else field.initial))
        if field.name in errors:
            parts.append(f'<p class="dm-field-error" role="alert">{_e(errors[field.name])}</p>')
    parts.append(
        f'<button type="submit" class="dm-button dm-primary">{_e(form.submit_label)}</button>'
    )
    parts.append("</form>")
    return "".join(parts)


def _form_field(field: FormField, choices: Sequence[Choice], value: str | None) -> str:
    if field.kind not in FIELD_KINDS:
        raise ValueError(f"no HTML for a form field of kind {field.kind!r}")
    name = _e(field.name)
    required = " required" if field.required else ""
    label = f'<label for="f-{name}">{_e(field.label)}{" *" if field.required else ""}</label>'
    hint = f'<span class="dm-hint">{_e(field.hint)}</span>' if field.hint else ""
    common = f'id="f-{name}" name="{name}"{required}'
    if field.kind in ("select", "deal_search", "user"):
        empty = _e(field.hint or ("Pick one" if field.required else "None"))
        hint = ""  # the hint is the empty choice's label
        options = [f'<option value="">{empty}</option>']
        for choice in choices:
            chosen = " selected" if value is not None and choice.value == value else ""
            options.append(
                f'<option value="{_e(choice.value)}"{chosen}>{_e(choice.label)}</option>'
            )
        control = f"<select {common}>{''.join(options)}</select>"
    elif field.kind == "multiline":
        limit = f' maxlength="{field.max_length}"' if field.max_length else ""
        control = f'<textarea {common}{limit} rows="3">{_e(value or "")}</textarea>'
    else:
        kind = "date" if field.kind == "date" else "text"
        limit = f' maxlength="{field.max_length}"' if field.max_length else ""
        shown = f' value="{_e(value)}"' if value else ""
        control = f'<input type="{kind}" {common}{limit}{shown}>'
    return f'<div class="dm-input">{label}{control}{hint}</div>'
