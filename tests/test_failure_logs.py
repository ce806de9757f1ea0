"""A database error while drafting is logged without the customer data it was writing."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import text

from bot.drafting.worker import DraftingWorker
from bot.services import build_services
from bot.settings import load_settings
from core.draft_commands import RegenerateDraft, RequestDraft
from handlers.draft_review import regenerate_draft, request_draft
from handlers.draft_writing import claim_drafts, write_draft
from storage.db import create_schema
from tests.drafting_world import seed

REFUSE_CLAIMS = """
CREATE TRIGGER refuse_claims BEFORE UPDATE ON draft WHEN NEW.status = 'drafting'
BEGIN SELECT RAISE(ABORT, 'duplicate key: (to_email)=(sarah@acme.com)'); END
"""
"""A database error quoting the row, as PostgreSQL's DETAIL does (hide_parameters hides only
the statement's parameters, not the driver's own message)."""


def test_a_failed_drafting_pass_logs_no_address_or_body(
    tmp_path, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    services = build_services(load_settings(database_url=f"sqlite:///{tmp_path / 'd.db'}"))
    create_schema(services.engine)
    ana, _, _, deal = seed(services.uow_factory)
    worker = DraftingWorker(services, None, name="w")
    request_draft(RequestDraft(ana, deal), worker.deps)
    (draft,) = asyncio.run(_claimed(worker))
    assert write_draft(worker.deps, None, draft)
    regenerate_draft(RegenerateDraft(ana, draft.id or 0, 1), worker.deps)  # keeps the old text
    with services.engine.begin() as conn:
        conn.execute(text(REFUSE_CLAIMS))
    with caplog.at_level(logging.DEBUG):
        assert asyncio.run(worker.run_guarded()) == 0
    logged = "\n".join(
        [r.getMessage() for r in caplog.records] + [caplog.text]  # with any traceback
    )
    assert "drafting pass failed" in logged and "IntegrityError" in logged
    assert "sarah@acme.com" not in logged and "Sarah" not in logged
    services.engine.dispose()


async def _claimed(worker: DraftingWorker):  # type: ignore[no-untyped-def]
    return claim_drafts(worker.deps, worker="w", stale_after=worker.stale_after, limit=1)
