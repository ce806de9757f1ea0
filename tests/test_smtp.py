"""Sending approved follow-ups by SMTP, against a real SMTP server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.drafting.smtp import SmtpSender
from bot.settings import SettingsError, load_settings
from core.draft_commands import ApproveDraft, RequestDraft
from core.drafts import DraftStatus, EmailNotSent, OutgoingEmail
from handlers.draft_review import approve_draft, request_draft
from handlers.draft_writing import claim_drafts, write_draft
from handlers.errors import UserError
from tests.drafting_world import World, drafting_world
from tests.live_server import free_port
from tests.smtp_server import SmtpServer

EMAIL = OutgoingEmail(
    "sarah@acme.com", "Pricing for Acme EU", "Hi Sarah,\n\nPricing attached.", "ana@example.com"
)


@pytest.fixture
def world(tmp_path) -> Iterator[World]:  # type: ignore[no-untyped-def]
    with drafting_world(f"sqlite:///{tmp_path / 'dealbot.db'}") as w:
        yield w


def _sender(port: int) -> SmtpSender:
    return SmtpSender(
        f"smtp://dealbot%40acme.com:s3cr%3At@127.0.0.1:{port}", "dealbot@acme.com", timeout=5
    )


def test_an_email_goes_out_with_its_headers_and_the_login() -> None:
    with SmtpServer() as server:
        _sender(server.port).send(EMAIL)
    (message,) = server.messages
    assert (message["From"], message["To"], message["Reply-To"]) == (
        "dealbot@acme.com",
        "sarah@acme.com",
        "ana@example.com",
    )
    assert message["Subject"] == "Pricing for Acme EU"
    body = message.get_payload(decode=True).decode().replace("\r\n", "\n")  # type: ignore[union-attr]
    assert body.strip() == "Hi Sarah,\n\nPricing attached."
    assert server.envelopes == [("dealbot@acme.com", ["sarah@acme.com"])]
    assert server.logins == [("dealbot@acme.com", "s3cr:t")]  # the URL's escapes undone


def test_refusals_and_an_unreachable_server_say_why_without_the_password() -> None:
    with SmtpServer(refuse_recipients=True) as server, pytest.raises(EmailNotSent) as refused:
        _sender(server.port).send(EMAIL)
    assert str(refused.value) == "the mail server refused the address sarah@acme.com"
    with pytest.raises(EmailNotSent, match="could not be reached") as down:
        _sender(free_port()).send(EMAIL)
    assert "s3cr" not in str(down.value)
    with pytest.raises(EmailNotSent, match="no contact email"):
        _sender(1).send(OutgoingEmail(None, "s", "b", "ana@example.com"))


def _ready(world: World) -> int:
    request_draft(RequestDraft(world.ana, world.deal), world.deps)
    (draft,) = claim_drafts(world.deps, worker="w", stale_after=timedelta(minutes=5), limit=1)
    assert write_draft(world.deps, None, draft)
    return draft.id or 0


def test_approve_sends_by_smtp_and_a_refusal_changes_nothing(world: World) -> None:
    draft_id = _ready(world)
    with SmtpServer(refuse_recipients=True) as server:
        with pytest.raises(UserError, match="not sent: the mail server refused the address"):
            approve_draft(
                ApproveDraft(world.ana, draft_id, 1), world.with_sender(_sender(server.port))
            )
    with world.uow_factory() as uow:
        draft = uow.drafts.get(draft_id)
        assert draft is not None and draft.status is DraftStatus.READY and draft.outcome is None
        assert [a for a in uow.activities.for_deals([world.deal]) if a.kind.value == "email"] == []
    with SmtpServer() as server:
        reply = approve_draft(
            ApproveDraft(world.ana, draft_id, 1), world.with_sender(_sender(server.port))
        )
    assert "sent to sarah@acme.com" in str(reply.message)
    (message,) = server.messages
    assert message["Subject"] == "Next steps: Acme EU" and message["To"] == "sarah@acme.com"
    with world.uow_factory() as uow:
        draft = uow.drafts.get(draft_id)
        emails = [a for a in uow.activities.for_deals([world.deal]) if a.kind.value == "email"]
    assert draft is not None and draft.sent_via == "smtp"
    assert [(e.summary, e.outcome) for e in emails] == [
        ("Follow-up email: Next steps: Acme EU", "sent")
    ]


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"smtp_url": "smtp://mail.acme.com:587"}, "DEALBOT_SMTP_FROM"),
        (
            {"smtp_url": "http://mail.acme.com", "smtp_from": "a@acme.com"},
            "smtp://user:pass@host:587",
        ),
        ({"llm_mock_response": "hi"}, "refused in production"),
    ],
)
def test_settings_refuse_what_cannot_work(overrides: dict[str, str], problem: str) -> None:
    with pytest.raises(SettingsError, match=problem.replace("/", ".").replace(":", ".")):
        load_settings(**overrides)
    assert load_settings(mode="development", llm_mock_response="hi").llm_mock_response == "hi"
