"""Draft follow-up on Teams through the running app: press, the card in the rep's chat, approve.

Every card the fake Bot Connector receives is checked against the Adaptive Card 1.5 schema.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from bot.teams.render import CARD_CONTENT_TYPE
from bot.teams.replies import MESSAGE_RESPONSE
from tests.adaptive_cards import card_text, item_press
from tests.teams_world import teams_world


def test_press_then_the_card_arrives_in_the_chat_and_approve_records_the_email(
    database_url: str,
) -> None:
    settings = {"delivery_enabled": True, "drafting_enabled": True, "mode": "development"}
    answer = "Subject: Pricing for Acme EU\n\nHi Sarah,\n\nHere is the pricing.\n\nAna"
    with teams_world(database_url, llm_mock_response=answer, **settings) as world:
        world.clock.current = datetime.now(UTC)  # the delivery worker sends on the real clock
        world.install_personal("ana")
        world.replies(1)
        assert world.message("ana", "deals").status_code == 200
        listing = world.last_card(2)
        kind, value = world.answer(
            world.execute("ana", item_press(listing, "Acme EU", "dealbot.draft"))
        )
        assert kind == MESSAGE_RESPONSE and value.startswith("Drafting a follow-up for Acme EU…")
        calls = world.replies(4)  # hello, the list, the drafting notice, then the card
        card = next(
            c.card for c in calls if c.card and "Draft follow-up: Acme EU" in card_text(c.card)
        )
        assert calls[-1].conversation == "a:chat-ana"
        assert "Here is the pricing." in card_text(card) and "Draft, not sent." in card_text(card)
        approve = item_press(card, "Your decision", "dealbot.draft_approve")
        kind, value = world.answer(world.execute("ana", approve))
        assert kind == CARD_CONTENT_TYPE and "Approved by Ana Lopez" in card_text(value)
        assert "mailto:" in card_text(value)
        kind, value = world.answer(world.execute("ana", approve))  # the same card again
        assert kind == MESSAGE_RESPONSE and "already approved" in value
        with world.services.engine.connect() as conn:
            emails = conn.execute(
                text("select summary, surface from activity where kind = 'email'")
            ).all()
            drafts = conn.execute(text("select status, outcome, model from draft")).all()
        assert emails == [("Follow-up email: Pricing for Acme EU", "teams")]
        assert drafts == [("approved", "approved", "openai/mock-model")]
