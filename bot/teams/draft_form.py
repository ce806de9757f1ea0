"""The draft's edit card, submitted: approve the edited email, or show each mistake under its field.

Mistakes change nothing: the card comes back with what was typed and the problem under it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.teams import translate
from bot.teams.forms import CONTEXT_KEY, render_form
from bot.teams.render import render_card
from core.draft_commands import OpenDraftEdit, read_draft_value
from handlers.deps import Reply
from handlers.draft_review import read_draft_form
from handlers.errors import FieldErrors, UserError

if TYPE_CHECKING:
    from bot.teams.listeners import Press, TeamsListeners

FIELDS = ("subject", "body")


async def on_draft_form(
    listeners: TeamsListeners, press: Press, actor: int, data: Mapping[str, Any]
) -> None:
    values = translate.form_values(data, FIELDS)
    context = str(data.get(CONTEXT_KEY) or "")
    try:
        command = read_draft_form(actor, context, values)
    except FieldErrors as errors:
        await _form_again(listeners, press, actor, context, values, errors)
        return
    except UserError as error:
        await press.notice(str(error))
        return
    reply = await listeners.pool.run(command)
    if isinstance(reply, str) or reply.message is None:
        await press.notice(reply if isinstance(reply, str) else "Approved.")
        return
    await press.replace(render_card(reply.message), reply.message.summary)


async def _form_again(
    listeners: TeamsListeners,
    press: Press,
    actor: int,
    context: str,
    values: Mapping[str, str | None],
    errors: FieldErrors,
) -> None:
    found = read_draft_value(context)
    form = await listeners.pool.run(OpenDraftEdit(actor, *found)) if found else None
    if not isinstance(form, Reply) or form.form is None:
        await press.notice(form if isinstance(form, str) else str(errors))
        return
    card = render_form(form.form, values=values, errors=errors.errors)
    await press.replace(card, form.form.title)
