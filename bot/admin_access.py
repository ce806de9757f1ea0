"""Who may read admin pages and APIs (reports, the dashboard): this machine, or the admin token.

A request from a loopback address (127.0.0.0/8, ::1) is let in when its `Host` header names this
machine (localhost, 127.0.0.1, [::1]) or a host listed in `DEALBOT_PUBLIC_HOSTS`: whoever can reach
the app there already runs on the host. The `Host` check stops DNS rebinding, where a page on
another site has its name point at 127.0.0.1 and the visitor's browser reads the admin pages
(its requests then come from loopback but carry that site's name). With
`DEALBOT_ADMIN_TOKEN_REQUIRED=true` loopback clients need the token too. Anyone else needs
`Authorization: Bearer <DEALBOT_ADMIN_TOKEN>`. The
client address is the one the server saw; X-Forwarded-For is not read here, since any client
can send it. (uvicorn itself takes the client from X-Forwarded-For when the connection comes from
127.0.0.1 or ::1, so a reverse proxy on the same host must send that header, or every visitor
would look local: see the README.)
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request
from pydantic import SecretStr

from bot.settings import Settings


def is_loopback(host: str | None) -> bool:
    """True for a loopback IP address (IPv4-mapped IPv6 included); False for names and None."""
    try:
        address = ipaddress.ip_address((host or "").strip("[]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
DEFAULT_PORTS = {"http": 80, "https": 443}


def host_and_port(netloc: str | None) -> tuple[str, int | None] | None:
    """`name[:port]` (brackets around IPv6) as (lower-case name, port); None when malformed."""
    try:
        parts = urlsplit("//" + (netloc or "").strip())
        name, port = parts.hostname, parts.port
    except ValueError:
        return None
    return (name, port) if name else None


def host_listed(host_header: str | None, public_hosts: tuple[str, ...]) -> bool:
    """True when the `Host` header names this machine or a `DEALBOT_PUBLIC_HOSTS` entry.

    An entry without a port matches the name on any port; with one, only on that port.
    """
    found = host_and_port(host_header)
    if found is None:
        return False
    return found[0] in LOOPBACK_NAMES or _public(found, public_hosts)


def origin_allowed(origin: str, *, public_hosts: tuple[str, ...], own_port: int | None) -> bool:
    """True when a browser's `Origin` (scheme://host[:port]) is this app.

    That is http(s) on localhost, 127.0.0.1 or [::1] at the port the server listens on, or on a
    host listed in `DEALBOT_PUBLIC_HOSTS`. The request's own `Host` header is not trusted here:
    under DNS rebinding it names the other site.
    """
    try:
        parts = urlsplit(origin.strip())
        name, port = parts.hostname, parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return False
    if parts.scheme not in DEFAULT_PORTS or not name or parts.path not in ("", "/"):
        return False
    return (name in LOOPBACK_NAMES and port == own_port) or _public((name, port), public_hosts)


def _public(found: tuple[str, int | None], public_hosts: tuple[str, ...]) -> bool:
    for entry in public_hosts:
        listed = host_and_port(entry)
        if listed is not None and listed[0] == found[0] and listed[1] in (None, found[1]):
            return True
    return False


def admin_allowed(
    *,
    client_host: str | None,
    host_is_listed: bool,
    authorization: str | None,
    admin_token: SecretStr | None,
    token_required: bool = False,
) -> bool:
    """True for a loopback client reaching a listed host (unless the token is required), or a
    bearer token equal to the admin token (constant time)."""
    if is_loopback(client_host) and host_is_listed and not token_required:
        return True
    offered = bearer_token(authorization)
    if admin_token is None or offered is None:
        return False
    expected = admin_token.get_secret_value().strip().encode()
    return hmac.compare_digest(offered.encode(), expected)


def require_admin(request: Request) -> None:
    """FastAPI dependency: 403 with a JSON error unless `admin_allowed`."""
    settings: Settings = request.app.state.settings
    client_host = request.client.host if request.client else None
    listed = host_listed(request.headers.get("host"), settings.public_host_names)
    allowed = admin_allowed(
        client_host=client_host,
        host_is_listed=listed,
        authorization=request.headers.get("authorization"),
        admin_token=settings.admin_token,
        token_required=settings.admin_token_required,
    )
    if allowed:
        return
    if is_loopback(client_host) and not listed and not settings.admin_token_required:
        raise HTTPException(
            status_code=403,
            detail="Admin only: open it as http://localhost or http://127.0.0.1 (this address's "
            "host name is not one dealbot answers to), or add the name to DEALBOT_PUBLIC_HOSTS.",
        )
    how = (
        "send Authorization: Bearer with DEALBOT_ADMIN_TOKEN"
        if settings.admin_token is not None
        else "set DEALBOT_ADMIN_TOKEN and send it as Authorization: Bearer"
    )
    where = "" if settings.admin_token_required else "call from this machine, or "
    raise HTTPException(status_code=403, detail=f"Admin only: {where}{how}.")


AdminOnly = Annotated[None, Depends(require_admin)]
"""Add as a parameter (`_: AdminOnly`) or use `Depends(require_admin)` in `dependencies=`."""
