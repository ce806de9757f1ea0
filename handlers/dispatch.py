"""One entry point for every surface: a command in, a reply out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.commands import (
    AcceptLead,
    AdvanceStage,
    Command,
    FindDeals,
    LogActivity,
    LogFirstTouch,
    LogLine,
    MarkDone,
    OpenLogForm,
    ReassignLead,
    ShowActions,
    Snooze,
    UndoLog,
)
from core.draft_commands import (
    ApproveDraft,
    EditDraft,
    OpenDraftEdit,
    RegenerateDraft,
    RejectDraft,
    RequestDraft,
)
from handlers.buttons import advance_stage, mark_done, snooze
from handlers.deals import show_actions
from handlers.deps import Deps, Reply
from handlers.draft_review import (
    approve_draft,
    edit_draft,
    open_draft_edit,
    regenerate_draft,
    reject_draft,
    request_draft,
)
from handlers.lead_buttons import accept_lead, log_first_touch, reassign_lead
from handlers.log import log_activity, log_line, undo_log
from handlers.log_form import find_deals, open_log_form

HANDLERS: dict[type[Any], Callable[[Any, Deps], Reply]] = {
    ShowActions: show_actions,
    LogLine: log_line,
    LogActivity: log_activity,
    OpenLogForm: open_log_form,
    FindDeals: find_deals,
    MarkDone: mark_done,
    Snooze: snooze,
    AdvanceStage: advance_stage,
    UndoLog: undo_log,
    AcceptLead: accept_lead,
    ReassignLead: reassign_lead,
    LogFirstTouch: log_first_touch,
    RequestDraft: request_draft,
    ApproveDraft: approve_draft,
    EditDraft: edit_draft,
    OpenDraftEdit: open_draft_edit,
    RegenerateDraft: regenerate_draft,
    RejectDraft: reject_draft,
}


def dispatch(command: Command, deps: Deps) -> Reply:
    """Run the command's handler. `UserError`s carry the message to show; let them through."""
    return HANDLERS[type(command)](command, deps)
