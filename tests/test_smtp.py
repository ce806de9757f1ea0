"""Sending approved follow-ups by SMTP, against a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from bot.delivery.email import EmailMessenger
from bot.delivery.worker import DeliveryPolicy, DeliveryWorker
from bot.drafting.smtp import SmtpSender
from bot.settings import SettingsError, load_settings
from core.draft_commands import ApproveDraft, RequestDraft
from core.drafts import DraftStatus, EmailNotSent, OutgoingEmail
from handlers.draft_review import approve_draft, request_draft
from handlers.draft_writing import claim_drafts, write_draft
from handlers.errors import AlreadyHandled
from storage.delivery import OutboxQueue
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


class _CommitFailsOnce:
    """Opens the real unit of work; the first commit raises, as a lost connection would."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.failed = inner, False

    def __call__(self) -> Any:
        uow = self.inner()
        real_commit = uow.commit

        def commit() -> None:
            if not self.failed:
                self.failed = True
                raise OperationalError("COMMIT", {}, Exception("connection lost"))
            real_commit()

        uow.commit = commit
        return uow


def _deliver(world: World, server: SmtpServer | None, *, max_attempts: int = 6) -> None:
    """One round of the delivery worker; no server is one that cannot be reached."""
    port = server.port if server is not None else free_port()
    messenger = EmailMessenger(_sender(port), "dealbot@acme.com", world.deps)
    queue = OutboxQueue(world.uow_factory.engine)
    policy = DeliveryPolicy(max_attempts=max_attempts, backoff_base=0.0, backoff_cap=0.0)
    worker = DeliveryWorker(queue, {"email": messenger}, policy, clock=world.clock)
    asyncio.run(worker.run_once())


def _email_outcomes(world: World) -> list[str | None]:
    with world.uow_factory() as uow:
        found = uow.activities.for_deals([world.deal])
    return [a.outcome for a in found if a.kind.value == "email"]


def _outbox(world: World) -> dict[str, str]:
    return {i.key: i.status for i in OutboxQueue(world.uow_factory.engine).by_status(limit=100)}


def test_a_commit_that_fails_then_a_second_approve_sends_one_email(world: World) -> None:
    draft_id = _ready(world)
    with SmtpServer() as server:
        deps = world.with_sender(_sender(server.port))
        failing = dataclasses.replace(deps, uow_factory=_CommitFailsOnce(world.uow_factory))
        with pytest.raises(OperationalError):
            approve_draft(ApproveDraft(world.ana, draft_id, 1), failing)
        reply = approve_draft(ApproveDraft(world.ana, draft_id, 1), failing)
        with pytest.raises(AlreadyHandled):
            approve_draft(ApproveDraft(world.ana, draft_id, 1), failing)
        assert server.messages == []  # nothing goes out before the approval is committed
        _deliver(world, server)
        _deliver(world, server)
    assert "sending to sarah@acme.com" in str(reply.message)
    (message,) = server.messages
    assert message["Subject"] == "Next steps: Acme EU" and message["To"] == "sarah@acme.com"
    assert message["Message-ID"] == f"<email.{draft_id}.1@acme.com>"
    assert _outbox(world)[f"email:{draft_id}:1"] == "sent"
    with world.uow_factory() as uow:
        draft = uow.drafts.get(draft_id)
        emails = [a for a in uow.activities.for_deals([world.deal]) if a.kind.value == "email"]
    assert draft is not None and draft.sent_via == "smtp" and draft.status is DraftStatus.APPROVED
    assert [(e.summary, e.outcome) for e in emails] == [
        ("Follow-up email: Next steps: Acme EU", "sent")
    ]


def test_the_email_activity_says_sending_until_the_server_has_it(world: World) -> None:
    draft_id = _ready(world)
    with SmtpServer() as server:
        approve_draft(ApproveDraft(world.ana, draft_id, 1), world.with_sender(_sender(1)))
        assert _email_outcomes(world) == ["sending"]
        _deliver(world, server)
    assert len(server.messages) == 1 and _email_outcomes(world) == ["sent"]


def test_an_unreachable_server_on_the_last_attempt_marks_the_email_not_sent(world: World) -> None:
    draft_id = _ready(world)
    approve_draft(ApproveDraft(world.ana, draft_id, 1), world.with_sender(_sender(1)))
    _deliver(world, None, max_attempts=2)
    assert _outbox(world)[f"email:{draft_id}:1"] == "pending"  # tried again later
    assert _email_outcomes(world) == ["sending"]
    world.clock.current += timedelta(minutes=1)
    _deliver(world, None, max_attempts=2)
    outbox = _outbox(world)
    assert outbox[f"email:{draft_id}:1"] == "dead"
    assert outbox[f"email:{draft_id}:1:failed"] == "pending"  # the approver is told
    assert _email_outcomes(world) == ["not sent"]


def test_a_refused_address_goes_dead_and_the_rep_is_told(world: World) -> None:
    draft_id = _ready(world)
    approve_draft(ApproveDraft(world.ana, draft_id, 1), world.with_sender(_sender(1)))
    with SmtpServer(refuse_recipients=True) as server:
        _deliver(world, server)
    assert server.messages == []
    outbox = _outbox(world)
    assert outbox[f"email:{draft_id}:1"] == "dead"
    assert outbox[f"email:{draft_id}:1:failed"] == "pending"
    assert _email_outcomes(world) == ["not sent"]
    (dead,) = OutboxQueue(world.uow_factory.engine).by_status(status="dead", limit=10)
    assert "sarah" not in (dead.last_error or "")  # the stored reason has no address
    (told,) = [
        i
        for i in OutboxQueue(world.uow_factory.engine).by_status(limit=10)
        if i.key.endswith(":failed")
    ]
    assert "refused the address sarah@acme.com" in str(told.payload["message"])


def test_an_email_whose_attempts_went_on_lost_leases_is_marked_not_sent_too(world: World) -> None:
    """A row can reach the dead letters without this worker trying to send it: its attempts
    were used up by workers that claimed it and died. The rep hears of it all the same."""
    from sqlalchemy import update

    from storage.tables import OutboxRow

    draft_id = _ready(world)
    approve_draft(ApproveDraft(world.ana, draft_id, 1), world.with_sender(_sender(1)))
    key = f"email:{draft_id}:1"
    with world.uow_factory.engine.begin() as connection:
        lost = "lease expired before the send was confirmed"
        connection.execute(
            update(OutboxRow).where(OutboxRow.key == key).values(attempts=2, last_error=lost)
        )
    with SmtpServer() as server:
        _deliver(world, server, max_attempts=2)
    assert server.messages == []  # given up, not sent a third time
    outbox = _outbox(world)
    assert outbox[key] == "dead" and outbox[f"{key}:failed"] == "pending"
    assert _email_outcomes(world) == ["not sent"]


@pytest.mark.parametrize("password", ["pa/ss99", "pa#ss99", "pa?ss99", "123/ss99"])
def test_a_password_with_unescaped_specials_is_refused_without_echoing_it(password: str) -> None:
    url = f"smtp://dealbot:{password}@mail.acme.com:587"
    with pytest.raises(SettingsError) as refused:
        load_settings(smtp_url=url, smtp_from="dealbot@acme.com")
    assert "DEALBOT_SMTP_URL: could not be read; percent-encode special characters" in str(
        refused.value
    )
    assert "ss99" not in str(refused.value) and "pa" not in str(refused.value).split(";")[0]
    if not password[0].isdigit():
        with pytest.raises(ValueError) as unread:
            SmtpSender(url, "dealbot@acme.com")
        assert "ss99" not in str(unread.value) and "'pa'" not in str(unread.value)
        assert unread.value.__cause__ is None and unread.value.__context__ is not None
    escaped = url.replace(password, password.replace("/", "%2F").replace("#", "%23"))
    load_settings(smtp_url=escaped.replace("?", "%3F"), smtp_from="dealbot@acme.com")


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
