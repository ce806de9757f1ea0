"""The fake Slack Web API answers a real slack_sdk client like Slack, and fails when told to."""

from __future__ import annotations

import contextlib
import json
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fake_slack import FakeSlack


def client(fake: FakeSlack, token: str = "test-bot-token") -> WebClient:
    return WebClient(token=token, base_url=fake.api_url, retry_handlers=[])


def test_post_message_is_recorded_with_its_params_and_token(fake_slack: FakeSlack) -> None:
    web = client(fake_slack)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
    metadata = {"event_type": "outbox", "event_payload": {"key": "digest:1"}}
    first = web.chat_postMessage(channel="U123", text="hi", blocks=blocks, metadata=metadata)
    second = web.chat_postMessage(channel="C9", text="again")

    assert first["ok"] and first["channel"] == "D123" and second["channel"] == "C9"
    assert first["ts"] != second["ts"]
    (call, _) = fake_slack.calls_for("chat.postMessage")
    assert call.params["blocks"] == blocks and call.params["metadata"] == metadata
    assert call.token == "test-bot-token" and call.ok


def test_form_encoded_calls_are_parsed_too(fake_slack: FakeSlack) -> None:
    fake_slack.directory["U7"] = "ana@brightlane.example"
    web = client(fake_slack)
    assert web.users_info(user="U7")["user"]["profile"]["email"] == "ana@brightlane.example"
    assert web.users_lookupByEmail(email="ANA@brightlane.example")["user"]["id"] == "U7"
    web.api_call("chat.update", data={"channel": "C1", "ts": "1.2", "blocks": "[]"})
    assert fake_slack.calls_for("chat.update")[0].params == {
        "channel": "C1",
        "ts": "1.2",
        "blocks": [],
    }
    with pytest.raises(SlackApiError) as error:
        web.users_lookupByEmail(email="nobody@x.example")
    assert error.value.response["error"] == "users_not_found"


@pytest.mark.parametrize(
    "method, call",
    [
        ("auth.test", lambda w: w.auth_test()),
        ("chat.postEphemeral", lambda w: w.chat_postEphemeral(channel="C1", user="U1", text="x")),
        ("chat.delete", lambda w: w.chat_delete(channel="C1", ts="1.1")),
        ("conversations.open", lambda w: w.conversations_open(users="U5")),
        ("views.open", lambda w: w.views_open(trigger_id="t", view={"type": "modal"})),
        ("views.publish", lambda w: w.views_publish(user_id="U1", view={"type": "home"})),
        ("views.update", lambda w: w.views_update(view_id="V1", view={"type": "modal"})),
        ("views.push", lambda w: w.views_push(trigger_id="t", view={"type": "modal"})),
    ],
)
def test_every_method_the_bot_uses_answers_ok(fake_slack: FakeSlack, method, call) -> None:  # type: ignore[no-untyped-def]
    assert call(client(fake_slack))["ok"]
    assert [c.method for c in fake_slack.calls] == [method]


def test_planned_failures_come_first_then_calls_succeed(fake_slack: FakeSlack) -> None:
    fake_slack.fail("chat.postMessage", status=429, retry_after=3, times=1)
    fake_slack.fail("chat.postMessage", status=500, times=1)
    web = client(fake_slack)
    with pytest.raises(SlackApiError) as limited:
        web.chat_postMessage(channel="C1", text="x")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "3"
    with pytest.raises(SlackApiError) as broken:
        web.chat_postMessage(channel="C1", text="x")
    assert broken.value.response.status_code == 500
    assert web.chat_postMessage(channel="C1", text="x")["ok"]
    assert [c.status for c in fake_slack.calls_for("chat.postMessage")] == [429, 500, 200]
    assert len(fake_slack.calls_for("chat.postMessage", ok_only=True)) == 1


def test_random_failures_hit_about_the_rate_asked_and_repeat_with_a_seed() -> None:
    statuses = []
    for _ in range(2):
        with FakeSlack() as fake:
            fake.fail_randomly("chat.postMessage", rate=0.3, seed=5)
            web = client(fake)
            for _ in range(100):
                with contextlib.suppress(SlackApiError):
                    web.chat_postMessage(channel="C1", text="x")
            statuses.append([c.status for c in fake.calls])
    assert statuses[0] == statuses[1]
    assert 15 <= statuses[0].count(429) <= 45


def test_wrong_token_is_refused_when_a_token_is_expected() -> None:
    with FakeSlack(token="right-bot-token") as fake:
        assert client(fake, "right-bot-token").auth_test()["ok"]
        with pytest.raises(SlackApiError) as error:
            client(fake, "wrong-bot-token").auth_test()
        assert error.value.response["error"] == "invalid_auth"


def test_response_url_posts_are_recorded_and_reset_forgets(fake_slack: FakeSlack) -> None:
    body = json.dumps({"text": "done", "replace_original": True}).encode()
    request = urllib.request.Request(
        f"{fake_slack.url}/response/T1/123/abc", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request) as answer:
        assert json.load(answer) == {"ok": True}
    (call,) = fake_slack.calls_for("response_url")
    assert call.params["text"] == "done" and call.path == "/response/T1/123/abc"
    fake_slack.reset()
    assert fake_slack.calls == []


def _outbox_metadata(key: str) -> dict[str, object]:
    return {"event_type": "dealbot_outbox", "event_payload": {"key": key}}


def test_history_lists_posts_newest_first_with_metadata_only_when_asked(
    fake_slack: FakeSlack,
) -> None:
    web = client(fake_slack)
    first = web.chat_postMessage(channel="U42", text="one", metadata=_outbox_metadata("a"))
    web.chat_postMessage(channel="C7", text="elsewhere", metadata=_outbox_metadata("b"))
    second = web.chat_postMessage(channel="U42", text="two", metadata=_outbox_metadata("c"))
    web.chat_update(channel="D42", ts=first["ts"], text="one, edited")

    plain = web.conversations_history(channel="D42")
    full = web.conversations_history(channel="D42", include_all_metadata=True)

    assert [m["text"] for m in plain["messages"]] == ["two", "one, edited"]
    assert all("metadata" not in m for m in plain["messages"])
    assert [m["metadata"]["event_payload"]["key"] for m in full["messages"]] == ["c", "a"]
    assert full["messages"][0]["ts"] == second["ts"] and full["has_more"] is False
    after_first = web.conversations_history(channel="D42", oldest=first["ts"])
    assert [m["text"] for m in after_first["messages"]] == ["two"]
    inclusive = web.conversations_history(channel="D42", oldest=first["ts"], inclusive=True)
    assert len(inclusive["messages"]) == 2


def test_history_pages_with_a_cursor_until_has_more_is_false(fake_slack: FakeSlack) -> None:
    web = client(fake_slack)
    for n in range(5):
        web.chat_postMessage(channel="C1", text=str(n))
    seen, cursor, pages = [], None, 0
    while True:
        page = web.conversations_history(channel="C1", limit=2, cursor=cursor)
        seen += [m["text"] for m in page["messages"]]
        pages += 1
        cursor = page["response_metadata"]["next_cursor"]
        if not page["has_more"]:
            break
    assert seen == ["4", "3", "2", "1", "0"] and pages == 3 and cursor == ""


def test_faults_fail_a_seeded_share_of_every_method_and_post_nothing() -> None:
    answers = []
    for _ in range(2):
        with FakeSlack() as fake:
            fake.start_faults(rate=0.3, seed=11, retry_after=2)
            web = client(fake)
            for n in range(60):
                with contextlib.suppress(SlackApiError):
                    web.chat_postMessage(channel="C1", text=str(n))
                with contextlib.suppress(SlackApiError):
                    web.conversations_history(channel="C1")
            fake.stop_faults()
            statuses = [c.status for c in fake.calls]
            limited = [c for c in fake.calls if c.status == 429]
            answers.append(statuses)
            posted = len(fake.calls_for("chat.postMessage", ok_only=True))
            assert len(fake.history.messages("C1")) == posted
            assert web.chat_postMessage(channel="C1", text="after")["ok"]
    assert answers[0] == answers[1]
    assert 15 <= answers[0].count(429) + answers[0].count(500) <= 60
    assert answers[0].count(500) > 0 and limited
    assert {c.method for c in fake.calls if c.status == 500} >= {"conversations.history"}


def test_a_held_post_is_in_the_history_before_its_answer(fake_slack: FakeSlack) -> None:
    import threading

    held = fake_slack.hold_next_post("replica-a-token")
    client(fake_slack, "replica-b-token").chat_postMessage(channel="C1", text="not held")
    answers: list[object] = []
    sender = threading.Thread(
        target=lambda: answers.append(
            client(fake_slack, "replica-a-token").chat_postMessage(channel="C1", text="held")
        )
    )
    sender.start()
    assert held.wait(10)
    assert [m["text"] for m in fake_slack.history.messages("C1")] == ["not held", "held"]
    assert answers == []
    fake_slack.release_held()
    sender.join(10)
    assert len(answers) == 1
