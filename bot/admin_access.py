"""Who may read admin pages and APIs (reports, the dashboard): this machine, or the admin token.

A request from a loopback address (127.0.0.0/8, ::1) is let in: whoever can reach the app there
already runs on the host. Anyone else needs `Authorization: Bearer <DEALBOT_ADMIN_TOKEN>`. The
client address is the one the server saw; X-Forwarded-For is not read here, since any client
can send it. (uvicorn itself takes the client from X-Forwarded-For when the connection comes from
127.0.0.1 or ::1, so a reverse proxy on the same host must send that header, or every visitor
would look local: see the README.)
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Annotated

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


def admin_allowed(
    *, client_host: str | None, authorization: str | None, admin_token: SecretStr | None
) -> bool:
    """True for a loopback client, or a bearer token equal to the admin token (constant time)."""
    if is_loopback(client_host):
        return True
    offered = bearer_token(authorization)
    if admin_token is None or offered is None:
        return False
    expected = admin_token.get_secret_value().strip().encode()
    return hmac.compare_digest(offered.encode(), expected)


def require_admin(request: Request) -> None:
    """FastAPI dependency: 403 with a JSON error unless `admin_allowed`."""
    settings: Settings = request.app.state.settings
    allowed = admin_allowed(
        client_host=request.client.host if request.client else None,
        authorization=request.headers.get("authorization"),
        admin_token=settings.admin_token,
    )
    if not allowed:
        how = (
            "send Authorization: Bearer with DEALBOT_ADMIN_TOKEN"
            if settings.admin_token is not None
            else "set DEALBOT_ADMIN_TOKEN and send it as Authorization: Bearer"
        )
        raise HTTPException(
            status_code=403, detail=f"Admin only: call from this machine, or {how}."
        )


AdminOnly = Annotated[None, Depends(require_admin)]
"""Add as a parameter (`_: AdminOnly`) or use `Depends(require_admin)` in `dependencies=`."""
