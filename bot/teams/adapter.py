"""botbuilder's token checks and CloudAdapter, configured from dealbot's settings.

Incoming requests are checked by botbuilder itself (`ConfigurationBotFrameworkAuthentication`):
the JWT must be signed by a key the Bot Framework publishes (its OpenID metadata), endorsed for
the channel, issued by the Bot Framework, addressed to this app id, and name the service URL the
activity came from. The endpoints are the public cloud's, spelled out, so the metadata URL can be
moved (`DEALBOT_TEAMS_OPENID_METADATA_URL`, e.g. to a local fake in tests) without changing how
anything else is checked.

Outgoing calls carry a token for the app from Microsoft Entra ID (client credentials). botbuilder
makes new credentials, and with them a new token request, for every turn; `CachedCredentials`
keeps one per app and scope, so the token is reused until it expires.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from botbuilder.schema import CallerIdConstants
from botframework.connector.auth import (
    AppCredentials,
    AuthenticationConfiguration,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ServiceClientCredentialsFactory,
)

from bot.settings import Settings

TokenSource = Callable[[str], str]
"""Scope -> bearer token, for calls to the Bot Connector without Microsoft Entra ID (tests)."""


def bot_authentication(
    settings: Settings, token_source: TokenSource | None = None
) -> BotFrameworkAuthentication:
    """Token checks in, tokens out, for these settings (no app id: local development, no checks)."""
    config = _configuration(settings)
    credentials: ServiceClientCredentialsFactory
    if token_source is not None and settings.teams_app_id:
        credentials = SourcedCredentials(settings.teams_app_id, token_source)
    else:
        credentials = CachedCredentials(ConfigurationServiceClientCredentialFactory(config))
    tenant = settings.teams_tenant_id if settings.teams_app_type == "SingleTenant" else None
    return ConfigurationBotFrameworkAuthentication(
        config,
        credentials_factory=credentials,
        auth_configuration=AuthenticationConfiguration(tenant_id=tenant),
    )


def build_adapter(authentication: BotFrameworkAuthentication) -> CloudAdapter:
    return CloudAdapter(authentication)


def _configuration(settings: Settings) -> SimpleNamespace:
    password = settings.teams_app_password
    return SimpleNamespace(
        APP_ID=settings.teams_app_id or "",
        APP_PASSWORD=password.get_secret_value() if password else "",
        APP_TENANTID=settings.teams_tenant_id,
        # Without an app id botbuilder checks nothing; it only gets there in local development.
        APP_TYPE=settings.teams_app_type if settings.teams_app_id else "MultiTenant",
        TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=settings.teams_openid_metadata_url,
        TO_BOT_FROM_CHANNEL_TOKEN_ISSUER=AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
        TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL=(
            AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL
        ),
        TO_CHANNEL_FROM_BOT_LOGIN_URL=AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX,
        TO_CHANNEL_FROM_BOT_OAUTH_SCOPE=AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
        OAUTH_URL=AuthenticationConstants.OAUTH_URL,
        CALLER_ID=CallerIdConstants.public_azure_channel,
        VALIDATE_AUTHORITY=True,
    )


class CachedCredentials(ServiceClientCredentialsFactory):
    """botbuilder's credentials for the app type, made once per app id and scope."""

    def __init__(self, inner: ServiceClientCredentialsFactory) -> None:
        self.inner = inner
        self._made: dict[tuple[Any, ...], Any] = {}

    async def is_valid_app_id(self, app_id: str) -> bool:
        return bool(await self.inner.is_valid_app_id(app_id))

    async def is_authentication_disabled(self) -> bool:
        return bool(await self.inner.is_authentication_disabled())

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> Any:
        key = (app_id, oauth_scope, login_endpoint, validate_authority)
        if key not in self._made:
            self._made[key] = await self.inner.create_credentials(
                app_id, oauth_scope, login_endpoint, validate_authority
            )
        return self._made[key]


class SourcedCredentials(ServiceClientCredentialsFactory):
    """Outgoing tokens from a callable instead of Microsoft Entra ID, for the one configured app."""

    def __init__(self, app_id: str, source: TokenSource) -> None:
        self.app_id, self.source = app_id, source

    async def is_valid_app_id(self, app_id: str) -> bool:
        return app_id == self.app_id

    async def is_authentication_disabled(self) -> bool:
        return False

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> AppCredentials:
        if app_id != self.app_id:
            raise PermissionError("credentials asked for another app id")
        return _SourcedToken(app_id, oauth_scope, self.source)


class _SourcedToken(AppCredentials):  # type: ignore[misc]
    def __init__(self, app_id: str, scope: str, source: TokenSource) -> None:
        super().__init__(app_id=app_id, oauth_scope=scope)
        self.source = source

    def get_access_token(self, force_refresh: bool = False) -> str:
        return self.source(self.oauth_scope)
