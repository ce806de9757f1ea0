"""The drafter and the email sender that settings ask for."""

from __future__ import annotations

from bot.drafting.model import LiteLLMDrafter
from bot.drafting.smtp import SmtpSender
from bot.settings import Settings, send_timeout_seconds
from core.ports import Drafter, EmailSender


def build_drafter(settings: Settings) -> Drafter | None:
    """The model through litellm; None (the template writes every draft) when none is set.

    A mock response (development only) needs no model name: it stands for one.
    """
    if settings.llm_model is None and settings.llm_mock_response is None:
        return None
    return LiteLLMDrafter(
        settings.llm_model or "openai/mock-model",
        timeout=settings.llm_timeout_seconds,
        retries=settings.llm_retries,
        fallbacks=fallbacks(settings),
        mock_response=settings.llm_mock_response,
    )


def fallbacks(settings: Settings) -> tuple[str, ...]:
    return tuple(name.strip() for name in settings.llm_fallbacks.split(",") if name.strip())


def build_email_sender(settings: Settings) -> EmailSender | None:
    """SMTP when DEALBOT_SMTP_URL is set; None: approved emails are recorded for the rep to copy."""
    if settings.smtp_url is None or settings.smtp_from is None:
        return None
    # The delivery worker sends through it: a send must end within the claim's margin (see
    # `bot.settings.lease_margin_seconds`), or another worker could take the row and send again.
    timeout = send_timeout_seconds(settings.delivery_lease_seconds)
    url = settings.smtp_url.get_secret_value().strip()
    return SmtpSender(url, settings.smtp_from, timeout=timeout)
