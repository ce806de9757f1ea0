"""Approved follow-ups by SMTP (the standard library's smtplib), when DEALBOT_SMTP_URL is set.

smtps:// connects over TLS; smtp:// upgrades with STARTTLS when the server offers it, and never
sends a password in clear to anything but this machine. Failures come back as `EmailNotSent`
in words a rep can act on, never with the URL or its password.
"""

from __future__ import annotations

import ipaddress
import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from bot.settings import SMTP_URL_UNREADABLE
from core.drafts import EmailNotSent, OutgoingEmail

TIMEOUT_SECONDS = 30.0


class SmtpSender:
    """A `core.ports.EmailSender` over SMTP."""

    def __init__(self, url: str, from_address: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        parts = urlsplit(url)
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        try:
            port = parts.port
        except ValueError:  # its message quotes part of the URL: the password, when misread
            raise ValueError(SMTP_URL_UNREADABLE) from None
        self.port = port or (465 if self.tls else 587)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password or "")
        self.from_address, self.timeout = from_address, timeout

    def send(self, email: OutgoingEmail) -> None:
        if not email.to:
            raise EmailNotSent(
                "the deal has no contact email to send it to", code="no recipient", permanent=True
            )
        message = EmailMessage()
        message["From"] = self.from_address
        message["To"] = email.to
        message["Reply-To"] = email.reply_to
        message["Subject"] = email.subject
        if email.message_id:
            message["Message-ID"] = email.message_id
        message.set_content(email.body)
        try:
            with self._connect() as smtp:
                smtp.send_message(message)
        except smtplib.SMTPAuthenticationError:
            raise EmailNotSent(
                "the mail server refused dealbot's login", code="SMTP login refused", permanent=True
            ) from None
        except smtplib.SMTPRecipientsRefused:
            raise EmailNotSent(
                f"the mail server refused the address {email.to}",
                code="SMTP recipient refused",
                permanent=True,
            ) from None
        except smtplib.SMTPResponseException as error:
            raise EmailNotSent(
                f"the mail server refused it (code {error.smtp_code})",
                code=f"SMTP {error.smtp_code}",
                permanent=500 <= error.smtp_code < 600,
            ) from None
        except (smtplib.SMTPException, OSError):
            raise EmailNotSent(
                "the mail server could not be reached", code="SMTP unreachable"
            ) from None

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.tls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
            elif self.user and not _loopback(self.host):
                smtp.close()
                raise EmailNotSent(
                    "the mail server offers no STARTTLS, so the login would go in clear",
                    code="SMTP without STARTTLS",
                    permanent=True,
                )
        if self.user:
            try:
                smtp.login(self.user, self.password)
            except smtplib.SMTPException:
                smtp.close()
                raise
        return smtp


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
