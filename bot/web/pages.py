"""Pages served by the app (the emulator, the dashboard): templates, headers and POST checks.

- Templates are Jinja2 with autoescaping on: text from the database is escaped wherever it lands.
- Every page carries a Content-Security-Policy that allows scripts and styles from this app
  only (no inline script, nothing from a CDN), refuses framing, and keeps form posts here.
- A POST must carry the page's token (`X-Dealbot-Page-Token`, made once per process) and, when
  the browser sends an Origin, come from one of this app's origins (localhost, 127.0.0.1 or [::1]
  at the port the server listens on, or a `DEALBOT_PUBLIC_HOSTS` name): another site cannot make
  a visitor's browser press a button here. The request's own Host is not the yardstick, since a
  site whose name was rebound to this machine sends its own name there.
- Who may see them at all is `bot.admin_access`: this machine, or the admin token.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.admin_access import origin_allowed

WEB = Path(__file__).parent
TOKEN_HEADER = "x-dealbot-page-token"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(WEB / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def mount_static(app: FastAPI) -> None:
    """`/static/...`: the stylesheet and the script the pages load (shipped in the package)."""
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")


def page_token(app: FastAPI) -> str:
    """This process's token for page POSTs, made on first use."""
    token: str | None = getattr(app.state, "page_token", None)
    if token is None:
        token = secrets.token_urlsafe(32)
        app.state.page_token = token
    return token


def html_page(request: Request, template: str, **context: Any) -> HTMLResponse:
    env: Environment = getattr(request.app.state, "templates", None) or templates()
    request.app.state.templates = env
    body = env.get_template(template).render(page_token=page_token(request.app), **context)
    return HTMLResponse(body, headers=SECURITY_HEADERS)


def check_page_post(request: Request) -> None:
    """FastAPI dependency for page POSTs: the page token, and no other site's Origin (403)."""
    offered = request.headers.get(TOKEN_HEADER, "")
    if not hmac.compare_digest(offered.encode(), page_token(request.app).encode()):
        raise HTTPException(403, detail="Reload the page: this request lacks its page token.")
    origin = request.headers.get("origin")
    if origin is None:
        return
    server = request.scope.get("server")
    own_port = server[1] if server else None
    public_hosts = request.app.state.settings.public_host_names
    if not origin_allowed(origin, public_hosts=public_hosts, own_port=own_port):
        raise HTTPException(403, detail="Requests from other sites are refused.")
