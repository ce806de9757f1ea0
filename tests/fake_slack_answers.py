"""What the fake Slack Web API answers to each method when nothing is planned to fail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fake_slack import FakeSlack


def _dm_channel(target: str) -> str:
    """Slack answers a post to a user id with the DM channel's id; the fake makes one up."""
    return "D" + target[1:] if target.startswith(("U", "W")) else target


def slack_answer(fake: FakeSlack, method: str, params: dict[str, Any]) -> dict[str, Any]:
    channel = str(params.get("channel", ""))
    if method in ("chat.postMessage", "chat.update"):
        ts = fake.next_ts() if method == "chat.postMessage" else str(params.get("ts", ""))
        message = {k: params[k] for k in ("text", "blocks", "metadata") if k in params}
        if method == "chat.postMessage":
            fake.history.posted(_dm_channel(channel), ts, params)
        else:
            fake.history.updated(channel, ts, params)
        return {"ok": True, "channel": _dm_channel(channel), "ts": ts, "message": message}
    if method == "conversations.history":
        return fake.history.page(params)
    if method == "chat.postEphemeral":
        return {"ok": True, "message_ts": fake.next_ts()}
    if method == "chat.delete":
        return {"ok": True, "channel": channel, "ts": params.get("ts")}
    if method == "users.info":
        return _user_info(fake, str(params.get("user", "")))
    if method == "users.lookupByEmail":
        user_id = fake.user_by_email(str(params.get("email", "")))
        return _user_info(fake, user_id) if user_id else {"ok": False, "error": "users_not_found"}
    if method == "conversations.open":
        users = str(params.get("users", "")).split(",")[0]
        return {"ok": True, "channel": {"id": _dm_channel(users) if users else "D0FAKE"}}
    if method in ("views.open", "views.publish", "views.update", "views.push"):
        given = params.get("view")
        view: dict[str, Any] = given if isinstance(given, dict) else {}
        return {"ok": True, "view": {**view, "id": f"V{fake.next_id():08d}"}}
    if method == "auth.test":
        return {"ok": True, "url": fake.url + "/", "team": "Fake", "team_id": "T0FAKE",
                "user": "dealbot", "user_id": "U0BOT", "bot_id": "B0BOT"}  # fmt: skip
    if method == "response_url":
        return {"ok": True}
    return {"ok": False, "error": "unknown_method"}


def _user_info(fake: FakeSlack, user_id: str) -> dict[str, Any]:
    email = fake.directory.get(user_id)
    if email is None:
        return {"ok": False, "error": "user_not_found"}
    name = email.split("@")[0]
    profile = {"email": email, "real_name": name, "display_name": name}
    return {
        "ok": True,
        "user": {"id": user_id, "name": name, "real_name": name, "profile": profile},
    }
