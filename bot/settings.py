"""Settings from the environment (and `.env`), validated once at start-up.

Every variable is listed in `.env.example`. Secrets are `SecretStr`, so they never show up in a
repr, a log line or an error message.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import SplitResult, urlsplit

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.stages import DEFAULT_OPEN_STAGES, LOST, WON, Pipeline

PLACEHOLDERS = {"", "changeme", "change-me", "secret", "placeholder", "xxx", "todo"}
DEFAULT_DATABASE_URL = "sqlite:///dealbot.db"
ADMIN_TOKEN_MIN_LENGTH = 16
PUBLIC_HOST = re.compile(
    r"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?"
)
TEAMS_OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"


ENV_NAMES = {
    "database_url": "DATABASE_URL",
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_api_url": "SLACK_API_URL",
    "slack_app_token": "SLACK_APP_TOKEN",
}
"""Settings read from a variable without the DEALBOT_ prefix, named as people set them."""


CLOCK_SKEW_SECONDS = 5.0
"""How far apart the clocks of two replicas may be: one judges the lease another one set."""
MAX_SEND_TIMEOUT_SECONDS = 10


def send_timeout_seconds(lease_seconds: float) -> int:
    """Seconds one send may take: up to 10, less for a short lease (see `lease_margin_seconds`)."""
    return max(1, min(MAX_SEND_TIMEOUT_SECONDS, int((lease_seconds / 2 - CLOCK_SKEW_SECONDS) // 2)))


def lease_margin_seconds(lease_seconds: float) -> float:
    """How long before its lease ends a worker stops starting sends: two send timeouts (the send,
    and settling it) plus the clock skew between replicas, so no send outlives its claim (another
    worker would take the row over and could send it a second time)."""
    return 2 * send_timeout_seconds(lease_seconds) + CLOCK_SKEW_SECONDS


MIN_LEASE_SECONDS = 2 * lease_margin_seconds(0)
"""The margin may take at most half the lease: 14 s (a 1 s send timeout)."""


class SettingsError(ValueError):
    """A setting is missing or wrong; the message names the variable and what to do."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DEALBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    mode: Literal["production", "demo", "development"] = "production"
    database_url: str = Field(
        DEFAULT_DATABASE_URL, validation_alias=AliasChoices("DATABASE_URL", "DEALBOT_DATABASE_URL")
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    action_list_size: int = Field(10, ge=1, le=50)
    delivery_enabled: bool = Field(
        True, description="Run the outbox delivery worker inside `dealbot serve`."
    )
    handler_processes: int = Field(
        0,
        ge=0,
        le=64,
        description="Worker processes for chat handlers; 0 runs them in threads (small teams).",
    )
    digest_size: int = Field(7, ge=1, le=20, description="Items in the morning digest.")
    scheduler_enabled: bool = Field(
        True, description="Run the once-a-minute digest clock inside `dealbot serve`."
    )
    stages: str = Field(
        ",".join(DEFAULT_OPEN_STAGES),
        description="Open pipeline stages in order, comma-separated; Won and Lost close a deal.",
    )
    slack_bot_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "DEALBOT_SLACK_BOT_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "DEALBOT_SLACK_SIGNING_SECRET")
    )
    slack_app_token: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("SLACK_APP_TOKEN", "DEALBOT_SLACK_APP_TOKEN"),
        description="An xapp- token: connect over Socket Mode instead of a public URL.",
    )
    slack_api_url: str = Field(
        "https://slack.com/api/",
        validation_alias=AliasChoices("SLACK_API_URL", "DEALBOT_SLACK_API_URL"),
        description="Slack Web API base URL; tests point it at a local fake.",
    )
    webhook_secret: SecretStr | None = Field(
        None,
        description="Shared secret that signs lead and signal webhooks (HMAC-SHA256); unset refuses them.",
    )
    webhook_secret_previous: SecretStr | None = Field(
        None,
        description="The webhook secret being replaced: also accepted while senders move to the "
        "new one; unset it when they have.",
    )
    webhook_max_bytes: int = Field(
        65_536, ge=1024, le=10_000_000, description="Largest webhook body accepted (413 above)."
    )
    webhook_concurrency: int | None = Field(
        None,
        ge=1,
        le=64,
        description="Webhook deliveries stored at once (waiting ones go together); unset: 1 on SQLite, 8 on PostgreSQL",
    )
    webhook_processes: int = Field(
        0,
        ge=0,
        le=16,
        description=(
            "Processes that store webhook deliveries; 0 stores them on threads of the web process."
        ),
    )
    webhook_queue: int = Field(
        256,
        ge=0,
        le=100_000,
        description="Webhook deliveries that may wait; beyond, 503 with Retry-After (sent again later).",
    )
    sla_sweep_seconds: float = Field(
        5.0,
        ge=1,
        le=60,
        description="How often the scheduler looks for response clocks that have run out.",
    )
    idempotency_keep_days: int = Field(
        30,
        ge=1,
        le=3650,
        description=(
            "Days a delivery's idempotency key is kept: a repeat within them is a no-op. Longer "
            "than any sender retries; older keys are forgotten once an hour."
        ),
    )
    retrain_hour_utc: int = Field(
        2,
        ge=0,
        le=23,
        description="Hour (UTC) from which the scheduler retrains the models, once a night.",
    )
    delivery_rate_per_second: float = Field(
        10.0,
        gt=0,
        le=1000,
        description=(
            "Outbox messages sent per second at most, over all channels. Slack allows about one "
            "a second per channel and a workspace budget of several hundred a minute; 10/s (600 a "
            "minute) stays near that budget, and 429s with Retry-After pace anything beyond it."
        ),
    )
    delivery_poll_seconds: float = Field(
        0.2,
        gt=0,
        le=60,
        description="How often an idle delivery worker looks for new outbox rows (a hot-lead "
        "alert written in the same process wakes it at once).",
    )
    delivery_max_attempts: int = Field(
        6, ge=1, le=50, description="Failed sends (5xx, timeouts) before a message goes dead."
    )
    delivery_lease_seconds: float = Field(
        300.0,
        gt=0,
        le=3600,
        description="How long a delivery worker holds the rows it claimed; the rows of a worker "
        "that died are taken over (and checked against Slack before a second send) after it.",
    )
    delivery_backoff_seconds: float = Field(
        10.0,
        gt=0,
        le=600,
        description="Wait before the first retry of a failed send; each further retry doubles it.",
    )
    lead_desk_config: Path | None = Field(
        None,
        description="TOML file with the lead desk's scoring, routing, SLA and alert settings; "
        "unset: the built-in defaults (see lead-desk.example.toml).",
    )
    admin_token: SecretStr | None = Field(
        None,
        description="Bearer token for the reports API from other hosts; loopback needs none.",
    )
    admin_token_required: bool = Field(
        False,
        description="Ask loopback clients for the admin token too (a host shared with others).",
    )
    public_hosts: str = Field(
        "",
        description="Comma-separated host names (host or host:port) the app is reached by "
        "besides localhost, 127.0.0.1 and [::1], e.g. behind a reverse proxy.",
    )
    teams_app_id: str | None = Field(
        None, description="The bot's Microsoft App ID (Azure Bot registration); serves Teams."
    )
    teams_app_password: SecretStr | None = Field(
        None, description="The client secret of that app registration."
    )
    teams_tenant_id: str | None = Field(
        None, description="Your Microsoft Entra tenant id; required for a single-tenant bot."
    )
    teams_app_type: Literal["SingleTenant", "MultiTenant"] = "SingleTenant"
    teams_dev_no_auth: bool = Field(
        False,
        description=(
            "Local development only: serve /api/messages without any token check (Bot Framework "
            "Emulator, no app id). Refused with an app id or in production mode."
        ),
    )
    emulator: bool | None = Field(
        None,
        description=(
            "Serve the local emulator at /emulator (a page that stands in for Slack and Teams, "
            "with a clock you can move). Unset: on in demo and development mode, off in "
            "production. It is never on beside Slack or Teams."
        ),
    )
    teams_openid_metadata_url: str = Field(
        TEAMS_OPENID_METADATA_URL,
        description="Where the Bot Framework's token signing keys are published; tests use a fake.",
    )

    llm_model: str | None = Field(
        None,
        description="The model that drafts follow-ups, as litellm names it (e.g. "
        "openai/gpt-4o-mini); provider keys are litellm's own variables. Unset: the template.",
    )
    llm_timeout_seconds: float = Field(
        20.0, gt=0, le=300, description="How long one model call may take before the template."
    )
    llm_retries: int = Field(1, ge=0, le=5, description="Retries of a failed model call.")
    llm_fallbacks: str = Field(
        "", description="Comma-separated models to try, in order, when the main one fails."
    )
    llm_mock_response: str | None = Field(
        None,
        description="Development and tests only: litellm answers every draft with this text "
        "(mock_response) instead of calling the model. Refused in production.",
    )
    drafting_enabled: bool = Field(
        True, description="Run the drafting worker (writes requested follow-ups) in `serve`."
    )
    smtp_url: SecretStr | None = Field(
        None,
        description="smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465: send "
        "approved follow-ups. Unset: they are recorded for the rep to copy and send.",
    )
    smtp_from: str | None = Field(None, description="The From address of emails sent by SMTP.")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator(
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "webhook_secret",
        "webhook_secret_previous",
        "webhook_concurrency",
        "admin_token",
        "lead_desk_config",
        "teams_app_id",
        "teams_app_password",
        "teams_tenant_id",
        "emulator",
        "llm_model",
        "llm_mock_response",
        "smtp_url",
        "smtp_from",
        mode="before",
    )
    @classmethod
    def _empty_means_unset(cls, value: object) -> object:
        # `.env.example` copied as it is leaves these as empty strings: that means "not set".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("delivery_lease_seconds")
    @classmethod
    def _lease_fits_its_margin(cls, value: float) -> float:
        if lease_margin_seconds(value) > value / 2:
            raise ValueError(
                f"at least {MIN_LEASE_SECONDS:g} seconds: a worker stops starting sends two send "
                f"timeouts plus {CLOCK_SKEW_SECONDS:g} s of clock skew before its lease ends, "
                "and that may take at most half the lease"
            )
        return value

    @field_validator("public_hosts")
    @classmethod
    def _public_hosts_are_names(cls, value: str) -> str:
        for entry in (e.strip() for e in value.split(",")):
            if entry and not PUBLIC_HOST.fullmatch(entry):
                raise ValueError(
                    f"{entry!r} is not a host name: list names as the browser's address bar "
                    "shows them, without scheme or path, e.g. dealbot.example.com or "
                    "dealbot.example.com:8443"
                )
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_ends_with_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @field_validator("teams_app_type", mode="before")
    @classmethod
    def _app_type_any_case(cls, value: object) -> object:
        names = {"singletenant": "SingleTenant", "multitenant": "MultiTenant"}
        return names.get(value.strip().lower(), value) if isinstance(value, str) else value

    @property
    def teams_enabled(self) -> bool:
        """Serve Teams at /api/messages: with an app id, or in local development without one."""
        return self.teams_app_id is not None or self.teams_dev_no_auth

    @property
    def emulator_enabled(self) -> bool:
        """The emulator stands in for the chat platforms: only without Slack and Teams."""
        wanted = self.emulator if self.emulator is not None else self.mode != "production"
        return wanted and self.slack_bot_token is None and not self.teams_enabled

    @property
    def public_host_names(self) -> tuple[str, ...]:
        """`DEALBOT_PUBLIC_HOSTS` as lower-case entries (host or host:port)."""
        return tuple(h.strip().lower() for h in self.public_hosts.split(",") if h.strip())

    @property
    def pipeline(self) -> Pipeline:
        return Pipeline(open_stages=tuple(s.strip() for s in self.stages.split(",") if s.strip()))

    @field_validator("stages")
    @classmethod
    def _stages_make_sense(cls, value: str) -> str:
        names = [s.strip() for s in value.split(",") if s.strip()]
        if not names:
            raise ValueError(
                "name at least one open stage, e.g. Prospecting,Qualification,Proposal"
            )
        if len({n.lower() for n in names}) != len(names):
            raise ValueError("a stage is named twice")
        if {n.lower() for n in names} & {WON.lower(), LOST.lower()}:
            raise ValueError("Won and Lost are added after the open stages; leave them out")
        return value

    @model_validator(mode="after")
    def _secrets_make_sense(self) -> Settings:
        if self.slack_bot_token is not None and self.slack_signing_secret is None:
            raise ValueError(
                "SLACK_BOT_TOKEN is set but SLACK_SIGNING_SECRET is not: "
                "set the signing secret from your Slack app's Basic Information page"
            )
        _teams_make_sense(self)
        if self.emulator and (self.slack_bot_token is not None or self.teams_enabled):
            raise ValueError(
                "DEALBOT_EMULATOR stands in for Slack and Teams and cannot run beside them: "
                "unset it, or unset the Slack and Teams settings"
            )
        if self.emulator and self.mode == "production":
            raise ValueError(
                "DEALBOT_EMULATOR is refused in production (its movable clock would drive real "
                "response clocks): unset it, or set DEALBOT_MODE=demo or development"
            )
        if self.emulator_enabled and self.handler_processes:
            raise ValueError(
                "DEALBOT_HANDLER_PROCESSES must be 0 while the emulator runs: its clock lives "
                "in this one process"
            )
        if self.emulator_enabled and self.webhook_processes:
            raise ValueError(
                "DEALBOT_WEBHOOK_PROCESSES must be 0 while the emulator runs: its clock lives "
                "in this one process"
            )
        in_memory = self.database_url in ("sqlite://", "sqlite:///:memory:")
        if in_memory and self.webhook_processes:
            raise ValueError(
                "DEALBOT_WEBHOOK_PROCESSES must be 0 with an in-memory database: a storing "
                "process would have a database of its own"
            )
        _drafting_makes_sense(self)
        if self.mode != "demo":
            for name in (
                "slack_signing_secret",
                "webhook_secret",
                "webhook_secret_previous",
                "admin_token",
                "teams_app_password",
            ):
                secret = getattr(self, name)
                if secret is not None and secret.get_secret_value().strip().lower() in PLACEHOLDERS:
                    raise ValueError(
                        f"{ENV_NAMES.get(name, 'DEALBOT_' + name.upper())} holds a placeholder value; "
                        "set a real secret (placeholders are accepted only with DEALBOT_MODE=demo)"
                    )
        return self

    @model_validator(mode="after")
    def _admin_token_is_long_enough(self) -> Settings:
        token = self.admin_token.get_secret_value().strip() if self.admin_token else None
        if self.mode != "demo" and token is not None and len(token) < ADMIN_TOKEN_MIN_LENGTH:
            raise ValueError(
                f"DEALBOT_ADMIN_TOKEN is shorter than {ADMIN_TOKEN_MIN_LENGTH} characters; "
                "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return self


def _teams_make_sense(settings: Settings) -> None:
    if settings.teams_dev_no_auth:
        if settings.teams_app_id is not None:
            raise ValueError(
                "DEALBOT_TEAMS_DEV_NO_AUTH is only for local development without an app id: "
                "unset it, or unset DEALBOT_TEAMS_APP_ID"
            )
        if settings.mode == "production":
            raise ValueError(
                "DEALBOT_TEAMS_DEV_NO_AUTH accepts unauthenticated Teams requests and is refused "
                "in production: set DEALBOT_MODE=development (or demo) on a local machine"
            )
        return
    if settings.teams_app_id is None:
        if settings.teams_app_password is not None or settings.teams_tenant_id is not None:
            raise ValueError(
                "DEALBOT_TEAMS_APP_PASSWORD or DEALBOT_TEAMS_TENANT_ID is set but "
                "DEALBOT_TEAMS_APP_ID is not: set the bot's Microsoft App ID too"
            )
        return
    if settings.teams_app_password is None:
        raise ValueError(
            "DEALBOT_TEAMS_APP_ID is set but DEALBOT_TEAMS_APP_PASSWORD is not: create a client "
            "secret for the app registration and set it"
        )
    if settings.teams_app_type == "SingleTenant" and settings.teams_tenant_id is None:
        raise ValueError(
            "DEALBOT_TEAMS_TENANT_ID is required for a single-tenant bot: set your Microsoft "
            "Entra tenant id, or DEALBOT_TEAMS_APP_TYPE=MultiTenant"
        )


def _drafting_makes_sense(settings: Settings) -> None:
    if settings.llm_mock_response is not None and settings.mode == "production":
        raise ValueError(
            "DEALBOT_LLM_MOCK_RESPONSE answers every draft with fixed text and is refused in "
            "production: unset it, or set DEALBOT_MODE=development (or demo) on a test machine"
        )
    if settings.smtp_url is None:
        return
    url = urlsplit(settings.smtp_url.get_secret_value().strip())
    if not _smtp_url_readable(url):
        raise ValueError(SMTP_URL_UNREADABLE)
    if url.scheme not in ("smtp", "smtps") or not url.hostname:
        raise ValueError(
            "DEALBOT_SMTP_URL must look like smtp://user:pass@host:587 or smtps://user:pass@host:465"
        )
    if not settings.smtp_from or "@" not in settings.smtp_from:
        raise ValueError(
            "DEALBOT_SMTP_URL is set but DEALBOT_SMTP_FROM is not an email address: set the "
            "address approved follow-ups are sent from"
        )


SMTP_URL_UNREADABLE = (
    "DEALBOT_SMTP_URL: could not be read; percent-encode special characters in the password "
    "(/ as %2F, # as %23, ? as %3F, @ as %40)"
)


def _smtp_url_readable(url: SplitResult) -> bool:
    """False when the URL cannot mean what was written: an unescaped `/`, `#` or `?` in the
    password ends the host part early, leaving a port that is no number or an `@` after it.
    The message never quotes the URL: it holds the password."""
    try:
        url.port  # noqa: B018  (raises on a port that is no number)
    except ValueError:
        return False
    return "@" not in f"{url.path}{url.query}{url.fragment}"


def load_settings(**overrides: object) -> Settings:
    """Read and validate settings; a bad value becomes one `SettingsError` line naming it."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        problems = []
        for issue in error.errors():
            where = ".".join(str(p) for p in issue.get("loc", ())) or "settings"
            message = issue.get("msg", "invalid").removeprefix("Value error, ")
            name = ENV_NAMES.get(where, f"DEALBOT_{where.upper()}")
            problems.append(message if where == "settings" else f"{name}: {message}")
        raise SettingsError("; ".join(problems)) from None
