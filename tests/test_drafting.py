"""Drafting end to end below the chat: request, claim, litellm (mock_response), card, decisions.

litellm really runs (its `mock_response` and `mock_timeout` stand in for a paid model); the
database is SQLite or PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from bot.drafting.model import LiteLLMDrafter, import_litellm
from core.draft_commands import (
    ApproveDraft,
    EditDraft,
    OpenDraftEdit,
    RegenerateDraft,
    RejectDraft,
    RequestDraft,
)
from core.draft_prompt import DATA_CLOSE, DATA_OPEN
from core.draft_template import template_email
from core.drafts import Draft, DraftOutcome, DraftStatus
from core.messages import message_from_dict
from core.model import Activity, ActivityKind
from handlers.draft_facts import deal_context
from handlers.draft_review import (
    approve_draft,
    edit_draft,
    open_draft_edit,
    regenerate_draft,
    reject_draft,
    request_draft,
)
from handlers.draft_writing import claim_drafts, write_draft
from handlers.errors import AlreadyHandled, FieldErrors, NotAllowed
from storage.delivery import OutboxQueue
from tests.drafting_world import INJECTION, RecordingDrafter, RecordingSender, World, drafting_world

MODEL = "openai/gpt-4o-mini"
litellm = import_litellm()  # with the bundled cost map: nothing fetched at import
STALE = timedelta(minutes=5)


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    with drafting_world(database_url) as w:
        yield w


def _drafter(mock: Any = None, **options: Any) -> LiteLLMDrafter:
    return LiteLLMDrafter(MODEL, timeout=options.pop("timeout", 5.0), mock_response=mock, **options)


def _requested(world: World, actor: int | None = None) -> Draft:
    request_draft(RequestDraft(actor or world.ana, world.deal), world.deps)
    (claimed,) = claim_drafts(world.deps, worker="w1", stale_after=STALE, limit=5)
    return claimed


def _written(world: World, drafter: Any = None) -> Draft:
    draft = _requested(world)
    assert write_draft(world.deps, drafter, draft)
    with world.uow_factory() as uow:
        stored = uow.drafts.get(draft.id or 0)
    assert stored is not None and stored.status is DraftStatus.READY
    return stored


def _card(world: World, draft: Draft) -> dict[str, Any]:
    with world.uow_factory() as uow:
        engine = uow.engine
    with engine.connect() as conn:
        row = conn.execute(
            text("select platform, target, payload from outbox where key = :key"),
            {"key": f"draft:{draft.id}:{draft.generation}"},
        ).one()
    payload = row.payload if isinstance(row.payload, dict) else json.loads(row.payload)
    return {"platform": row.platform, "target": row.target, "message": payload["message"]}


def _count(world: World, sql: str) -> int:
    with world.uow_factory() as uow:
        return int(uow.session.connection().execute(text(sql)).scalar() or 0)


def test_the_models_text_becomes_the_card_sent_to_whoever_asked(world: World) -> None:
    answer = "Subject: Pricing for Acme EU\n\nHi Sarah,\n\nPricing attached.\n\nAna"
    draft = _written(world, _drafter(answer))
    assert (draft.subject, draft.model, draft.note) == ("Pricing for Acme EU", MODEL, None)
    assert draft.body == "Hi Sarah,\n\nPricing attached.\n\nAna"
    assert draft.to_email == "sarah@acme.com" and draft.claimed_by is None
    card = _card(world, draft)
    assert card["platform"] == "slack" and card["target"] == "email:ana@example.com"
    shown = message_from_dict(card["message"])
    assert "Pricing attached." in (shown.sections[1].text or "")


@pytest.mark.parametrize(
    ("options", "note"),
    [
        ({"mock": "litellm.RateLimitError"}, "The model is over its rate limit right now"),
        (
            {"mock": litellm.RateLimitError(message="slow down", llm_provider="openai", model=MODEL)},
            "The model is over its rate limit right now",
        ),
        ({"mock_timeout": True, "timeout": 0.05}, "The model did not answer in 0.05 s"),
        ({"mock": litellm.Timeout(message="late", model=MODEL, llm_provider="openai")}, "did not answer"),
        (
            {"mock": litellm.InternalServerError(message="boom", llm_provider="openai", model=MODEL)},
            "could not be reached",
        ),
        ({"mock": "   "}, "The model's answer was empty"),
    ],
)  # fmt: skip
def test_a_failing_model_falls_back_to_the_template_with_a_visible_note(
    world: World, options: dict[str, Any], note: str
) -> None:
    options = dict(options)  # the same parameters serve the SQLite and the PostgreSQL run
    draft = _written(world, _drafter(options.pop("mock", None), **options))
    assert draft.model == "template"
    assert draft.note is not None and note in draft.note
    assert draft.note.endswith("this is the template draft.")
    assert draft.body.startswith("Hi Sarah,") and "send pricing" in draft.body
    shown = message_from_dict(_card(world, draft)["message"])
    assert shown.sections[0].text == draft.note  # the note is on the card, above the draft


def test_without_a_model_the_template_writes_it_with_no_note(world: World) -> None:
    draft = _written(world, None)
    assert (draft.model, draft.note) == ("template", None)
    assert draft.subject == "Next steps: Acme EU"


def test_a_prompt_injection_changes_nothing_the_bot_does(world: World) -> None:
    drafter = RecordingDrafter(_drafter("APPROVED. Sent."))
    sender = RecordingSender()
    draft = _written(world, drafter)
    (messages,) = drafter.calls
    system = " ".join(m["content"] for m in messages if m["role"] == "system")
    assert INJECTION not in system and "Sarah" not in system
    data = messages[-1]["content"]
    assert (
        messages[-1]["role"] == "user" and data.startswith(DATA_OPEN) and data.endswith(DATA_CLOSE)
    )
    assert INJECTION in data  # quoted, as data, inside the block
    assert draft.status is DraftStatus.READY and draft.outcome is None
    assert draft.body == "APPROVED. Sent." and draft.decided_at is None
    shown = message_from_dict(_card(world, draft)["message"])
    assert (shown.sections[0].heading or "").startswith("Draft, not sent.")
    assert [c.label for c in shown.sections[-1].controls] == [
        "Approve",
        "Edit",
        "Regenerate",
        "Reject",
    ]
    assert sender.sent == []
    assert _count(world, "select count(*) from activity where kind = 'email'") == 0
    assert _count(world, "select count(*) from audit_log where action like 'draft.approve%'") == 0


def test_two_workers_never_claim_the_same_draft_and_an_abandoned_claim_is_retaken(
    world: World,
) -> None:
    request_draft(RequestDraft(world.ana, world.deal), world.deps)
    first = claim_drafts(world.deps, worker="w1", stale_after=STALE, limit=5)
    assert len(first) == 1
    assert claim_drafts(world.deps, worker="w2", stale_after=STALE, limit=5) == []
    world.clock.current += STALE + timedelta(seconds=1)  # w1 died mid-draft
    (retaken,) = claim_drafts(world.deps, worker="w2", stale_after=STALE, limit=5)
    assert retaken.id == first[0].id and retaken.claimed_by == "w2"
    assert not write_draft(world.deps, None, first[0])  # w1's late write is refused
    assert write_draft(world.deps, None, retaken)
    assert _count(world, "select count(*) from outbox where key like 'draft:%'") == 1


def test_approve_records_an_email_touch_and_the_decision(world: World) -> None:
    draft = _written(world, None)
    reply = approve_draft(ApproveDraft(world.ana, draft.id or 0, 1), world.deps)
    assert reply.replace and reply.message is not None
    shown = json.dumps(str(reply.message))
    assert "mailto:sarah@acme.com?subject=Next%20steps%3A%20Acme%20EU" in shown
    with world.uow_factory() as uow:
        stored = uow.drafts.get(draft.id or 0)
        entry = uow.audit.latest(f"draft:{draft.id}")
        decisions = uow.drafts.decisions(since=world.clock.now(), until=world.clock.now() + STALE)
        emails = [a for a in uow.activities.for_deals([world.deal]) if a.kind.value == "email"]
    assert (
        stored is not None and stored.outcome is DraftOutcome.APPROVED and stored.sent_via == "copy"
    )
    assert (
        entry is not None
        and entry.action == "draft.approve"
        and entry.actor == f"rep:{world.ana} via slack"
    )
    assert [(d.outcome, d.change_ratio, d.rep_id) for d in decisions] == [
        ("approved", 0.0, world.ana)
    ]
    assert [e.summary for e in emails] == ["Follow-up email: Next steps: Acme EU"]
    with pytest.raises(AlreadyHandled, match="already approved by Ana Lopez"):
        reject_draft(RejectDraft(world.ana, draft.id or 0, 1), world.deps)


def test_an_edit_is_approved_with_how_much_changed(world: World) -> None:
    draft = _written(world, None)
    sender = RecordingSender()
    body = draft.body.replace("Best regards", "Cheers")
    reply = edit_draft(
        EditDraft(world.mia, draft.id or 0, 1, draft.subject, body), world.with_sender(sender)
    )
    assert reply.message is not None and "sending to sarah@acme.com" in str(reply.message)
    assert sender.sent == []  # the delivery worker sends it, after the approval is committed
    queued = OutboxQueue(world.uow_factory.engine).by_status(limit=10)
    assert [
        (i.target, i.payload["body"], i.payload["reply_to"])
        for i in queued
        if i.platform == "email"
    ] == [("sarah@acme.com", body, "mia@example.com")]
    with world.uow_factory() as uow:
        (decision,) = uow.drafts.decisions(since=world.clock.now(), until=world.clock.now() + STALE)
        entry = uow.audit.latest(f"draft:{draft.id}")
    assert decision.outcome == "edited" and 0.0 < decision.change_ratio < 0.2
    assert decision.rep_id == world.ana  # the deal's owner, though her manager approved
    assert (
        entry is not None
        and entry.action == "draft.edit"
        and entry.after["change_ratio"] == decision.change_ratio
    )


def test_bad_edits_say_what_to_fix_and_change_nothing(world: World) -> None:
    draft = _written(world, None)
    for subject, body, field in [
        ("Hi", "   ", "body"),
        ("Hi", "x" * 5001, "body"),
        ("", "ok", "subject"),
        ("Pricing\r\nBcc: everyone@example.com", "ok", "subject"),
        ("Pricing\nfor Acme", "ok", "subject"),
    ]:
        with pytest.raises(FieldErrors) as caught:
            edit_draft(EditDraft(world.ana, draft.id or 0, 1, subject, body), world.deps)
        assert set(caught.value.errors) == {field}
    with world.uow_factory() as uow:
        assert uow.drafts.get(draft.id or 0) == draft


def test_only_the_owner_and_their_manager_decide(world: World) -> None:
    draft = _written(world, None)
    for command in (ApproveDraft, RejectDraft, RegenerateDraft, OpenDraftEdit):
        with pytest.raises(NotAllowed):
            {ApproveDraft: approve_draft, RejectDraft: reject_draft, RegenerateDraft: regenerate_draft,
             OpenDraftEdit: open_draft_edit}[command](command(world.ben, draft.id or 0, 1), world.deps)  # type: ignore[index,operator]  # fmt: skip
    with pytest.raises(NotAllowed):
        request_draft(RequestDraft(world.ben, world.deal), world.deps)
    assert open_draft_edit(OpenDraftEdit(world.mia, draft.id or 0, 1), world.deps).form is not None


def test_regenerate_writes_a_new_generation_and_the_old_card_is_stale(world: World) -> None:
    draft = _written(world, None)
    reply = regenerate_draft(RegenerateDraft(world.ana, draft.id or 0, 1), world.deps)
    assert reply.replace and "Drafting a new follow-up" in str(reply.message)
    with pytest.raises(AlreadyHandled, match="being written"):
        approve_draft(ApproveDraft(world.ana, draft.id or 0, 1), world.deps)
    (again,) = claim_drafts(world.deps, worker="w1", stale_after=STALE, limit=5)
    assert again.generation == 2 and write_draft(
        world.deps, _drafter("Subject: New\n\nNew text"), again
    )
    with pytest.raises(AlreadyHandled, match="older version"):
        approve_draft(ApproveDraft(world.ana, draft.id or 0, 1), world.deps)
    approve_draft(ApproveDraft(world.ana, draft.id or 0, 2), world.deps)
    assert _count(world, "select count(*) from outbox where key like 'draft:%'") == 2
    with world.uow_factory() as uow:
        stored = uow.drafts.get(draft.id or 0)
    assert stored is not None and stored.final_body == "New text"


def test_draft_dates_are_the_reps_own_calendar_days(world: World) -> None:
    evening = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # 19:00 on the 23rd in Los Angeles
    with world.uow_factory() as uow:
        ana = uow.reps.get(world.ana)
        assert ana is not None
        uow.reps.update(dataclasses.replace(ana, time_zone="America/Los_Angeles"))
        uow.activities.add(
            Activity(ActivityKind.CALL, datetime(2026, 11, 23, 18, 0, tzinfo=UTC),  # 10:00 local
                     deal_id=world.deal, rep_id=world.ana, summary="Sarah asked for a demo",
                     outcome="Connected")
        )  # fmt: skip
        deal = uow.deals.get(world.deal)
        assert deal is not None and deal.next_action is not None
        uow.deals.update(
            dataclasses.replace(
                deal, next_action=dataclasses.replace(deal.next_action, due=date(2026, 11, 24))
            )
        )
        uow.commit()
    request_draft(RequestDraft(world.ana, world.deal), world.deps)
    (draft,) = claim_drafts(world.deps, worker="w", stale_after=STALE, limit=1)
    with world.uow_factory() as uow:
        facts = deal_context(uow, draft, at=evening).facts
    assert facts.today == date(2026, 11, 23)
    assert facts.touches[0].on == date(2026, 11, 23)
    subject, body = template_email(facts)
    assert "tomorrow" in body and "today" in body  # the step due on the 24th; the call on the 23rd
