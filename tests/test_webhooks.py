"""The intake webhooks over real HTTP: signed, size-capped, once-only, on SQLite and PostgreSQL.

The real app runs under uvicorn (`serving`) with the lead world's team and a fixed domain clock;
signatures use the real time, as a sender's would. Every refusal is checked to store nothing, and
property tests post whatever JSON, bytes or headers hypothesis makes up: never a 500.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from sqlalchemy import text

from bot.app import create_app
from bot.services import Services, build_services
from bot.settings import load_settings
from bot.webhooks.schemas import LeadIn, SignalIn
from bot.webhooks.signing import sign
from storage.db import create_schema
from tests.lead_world import NOW, FixedClock, Team1, seed_team
from tests.live_server import serving

SECRET = "webhook-test-secret-41d7"
LEADS, SIGNALS = "/webhooks/leads", "/webhooks/signals"
STORED = ("lead", "signal", "activity", "idempotency_key", "outbox", "lead_assignment")


@dataclass
class Hook:
    """The served app, a client, and a look into its database."""

    http: httpx.Client
    services: Services
    team: Team1

    def post(
        self,
        path: str,
        body: Any,
        *,
        key: str | None = None,
        timestamp: int | str | None = None,
        secret: str = SECRET,
    ) -> httpx.Response:
        """`body` (bytes as they are, anything else as JSON) signed as a sender signs it."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = signed(raw, timestamp, secret)
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.http.post(path, content=raw, headers=headers)

    def counts(self) -> dict[str, int]:
        with self.services.engine.connect() as conn:
            return {t: conn.execute(text(f"select count(*) from {t}")).scalar_one() for t in STORED}

    def outbox_keys(self) -> list[str]:
        with self.services.engine.connect() as conn:
            return list(conn.execute(text("select key from outbox order by key")).scalars())


def signed(raw: bytes, timestamp: int | str | None = None, secret: str = SECRET) -> dict[str, str]:
    ts = str(int(time.time())) if timestamp is None else str(timestamp)
    return {
        "Content-Type": "application/json",
        "X-Dealbot-Timestamp": ts,
        "X-Dealbot-Signature": sign(secret, ts, raw),
    }


@contextmanager
def hook_app(database_url: str, *, secret: str | None = SECRET, **overrides: Any) -> Iterator[Hook]:
    config = load_settings(
        database_url=database_url,
        webhook_secret=secret,
        scheduler_enabled=False,
        delivery_enabled=False,
        **overrides,
    )
    services = build_services(config)
    create_schema(services.engine)
    team = seed_team(services.uow_factory)
    services.clock = FixedClock()  # type: ignore[assignment]
    app = create_app(config, services)
    try:
        with serving(app) as base, httpx.Client(base_url=base, timeout=10) as http:
            yield Hook(http, services, team)
    finally:
        services.close()


@pytest.fixture
def hook(database_url: str) -> Iterator[Hook]:
    with hook_app(database_url) as served:
        yield served


SARAH = {"name": "Sarah Chen", "email": "sarah.chen@acme.com", "company": "Acme",
         "source": "website", "demo_request": True, "message": "Call me about pricing."}  # fmt: skip
NOTHING = dict.fromkeys(STORED, 0)


# --- accepted, stored, once ---------------------------------------------------------------


def test_a_signed_lead_is_stored_before_the_202(hook: Hook) -> None:
    response = hook.post(LEADS, SARAH)
    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["status"] == "accepted" and answer["created"] is True
    assert (answer["tier"], answer["owner_id"]) == ("hot", hook.team.ana)
    with hook.services.uow_factory() as uow:
        lead = uow.leads.get(answer["lead_id"])
    assert lead is not None and lead.email == "sarah.chen@acme.com"
    assert (lead.owner_id, lead.tier, lead.account_id) == (hook.team.ana, "hot", hook.team.acme)
    assert lead.sla_started_at == NOW
    lead_id = answer["lead_id"]
    assert hook.outbox_keys() == [f"lead:{lead_id}:channel", f"lead:{lead_id}:dm:{hook.team.ana}"]


@pytest.mark.parametrize("how", ["header", "event_id", "replay"])
def test_a_repeated_delivery_is_one_lead_and_one_alert(hook: Hook, how: str) -> None:
    body, key = dict(SARAH), None
    if how == "header":
        key = "form-42"
    elif how == "event_id":
        body["event_id"] = "evt-42"
    now = int(time.time())
    first = hook.post(LEADS, body, key=key, timestamp=now)
    # A retry is signed again; an exact replay (no key at all) carries the same signature.
    again = hook.post(LEADS, body, key=key, timestamp=now if how == "replay" else now + 1)
    assert first.status_code == 202, first.text
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "duplicate"
    assert again.json()["lead_id"] == first.json()["lead_id"]
    assert again.json()["owner_id"] == first.json()["owner_id"]
    lead_id = first.json()["lead_id"]
    counts = hook.counts()
    assert (counts["lead"], counts["activity"], counts["lead_assignment"]) == (1, 1, 1)
    assert hook.outbox_keys().count(f"lead:{lead_id}:channel") == 1


def test_a_new_signature_without_a_key_is_a_new_delivery(hook: Hook) -> None:
    """The control for the replay case: re-signed, it is handled again (the person matches)."""
    now = int(time.time())
    first = hook.post(LEADS, SARAH, timestamp=now)
    second = hook.post(LEADS, SARAH, timestamp=now + 1)
    assert (first.status_code, second.status_code) == (202, 202)
    assert second.json()["created"] is False
    assert hook.counts()["activity"] == 2


# --- refused: signature ---------------------------------------------------------------------


def test_bad_signatures_are_401_with_a_json_error_and_store_nothing(hook: Hook) -> None:
    raw = json.dumps(SARAH).encode()
    now = int(time.time())
    good = signed(raw)
    tampered = json.dumps({**SARAH, "email": "mallory@evil.example"}).encode()
    cases: dict[str, tuple[bytes, dict[str, str]]] = {
        "wrong secret": (raw, signed(raw, secret="not-the-secret")),
        "tampered body": (tampered, good),
        "no signature": (raw, {k: v for k, v in good.items() if k != "X-Dealbot-Signature"}),
        "no timestamp": (raw, {k: v for k, v in good.items() if k != "X-Dealbot-Timestamp"}),
        "no headers": (raw, {"Content-Type": "application/json"}),
        "6 minutes old": (raw, signed(raw, now - 360)),
        "6 minutes ahead": (raw, signed(raw, now + 360)),
        "not a number": (raw, signed(raw, "yesterday")),
        "a huge number": (raw, signed(raw, "1" + "0" * 400)),
        "signature of another time": (raw, {**signed(raw, now - 1), "X-Dealbot-Timestamp": str(now)}),
    }  # fmt: skip
    for path in (LEADS, SIGNALS):
        for case, (body, headers) in cases.items():
            response = hook.http.post(path, content=body, headers=headers)
            assert response.status_code == 401, (path, case, response.text)
            assert response.headers["content-type"] == "application/json", case
            assert response.json()["error"], case
    assert hook.counts() == NOTHING


def test_the_error_says_what_is_wrong_without_the_expected_value(hook: Hook) -> None:
    raw = json.dumps(SARAH).encode()
    stale = hook.http.post(LEADS, content=raw, headers=signed(raw, int(time.time()) - 360))
    forged = hook.http.post(LEADS, content=raw, headers=signed(raw, secret="guess"))
    missing = hook.http.post(LEADS, content=raw)
    assert "window" in stale.json()["error"]
    assert forged.json() == {"error": "signature does not match"}
    assert "X-Dealbot-Signature" in missing.json()["error"]


def test_no_secret_configured_is_a_503_naming_the_variable(database_url: str) -> None:
    with hook_app(database_url, secret=None) as unconfigured:
        for path in (LEADS, SIGNALS):
            response = unconfigured.post(path, SARAH)
            assert response.status_code == 503
            assert "DEALBOT_WEBHOOK_SECRET" in response.json()["error"]
            assert response.headers["Retry-After"] == "1"
        assert unconfigured.counts() == NOTHING


def test_during_a_rotation_the_previous_secret_still_signs(database_url: str) -> None:
    with hook_app(
        database_url, secret="new-webhook-secret", webhook_secret_previous=SECRET
    ) as hook:
        old = hook.post(LEADS, SARAH, key="from-the-old-sender")
        new = hook.post(LEADS, {**SARAH, "email": "b@acme.com"}, secret="new-webhook-secret")
        stranger = hook.post(LEADS, {**SARAH, "email": "c@acme.com"}, secret="a-third-secret")
        assert (old.status_code, new.status_code, stranger.status_code) == (202, 202, 401)
        assert stranger.json() == {"error": "signature does not match"}
        assert hook.counts()["lead"] == 2


# --- refused: size --------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_with_or_without_a_content_length(database_url: str) -> None:
    with hook_app(database_url, webhook_max_bytes=2048) as small:
        big = json.dumps({**SARAH, "message": "x" * 3000}).encode()
        declared = small.http.post(LEADS, content=big, headers=signed(big))
        chunks = [big[n : n + 500] for n in range(0, len(big), 500)]
        streamed = small.http.post(LEADS, content=iter(chunks), headers=signed(big))
        unsigned = small.http.post(SIGNALS, content=iter(chunks))
        assert streamed.request.headers.get("transfer-encoding") == "chunked"
        assert "content-length" not in streamed.request.headers
        for response in (declared, streamed, unsigned):
            assert response.status_code == 413, response.text
            assert response.json() == {"error": "body over 2048 bytes"}
        assert small.counts() == NOTHING
        fits = json.dumps(SARAH).encode()
        chunked_ok = small.http.post(
            LEADS, content=iter([fits[:40], fits[40:]]), headers=signed(fits)
        )
        assert chunked_ok.status_code == 202, chunked_ok.text


# --- refused: the body ----------------------------------------------------------------------

OK = {"email": "jo@initech.io"}
EVENT = {"kind": "page_view", "occurred_at": "2026-11-23T13:55:00Z", "email": "jo@initech.io"}
INVALID: list[tuple[str, Any, str, str]] = [
    # path, body, the field named, words in the error
    (LEADS, b"{not json", "body", "not valid JSON"),
    (LEADS, b"\xff\xfe\x00", "body", "not valid JSON"),
    (LEADS, [OK], "body", "must be a JSON object"),
    (LEADS, {"email": "jo at initech"}, "email", "not an email address"),
    (LEADS, {"name": "Jo", "company": "Initech"}, "body", "email, phone or external_id"),
    (LEADS, {**OK, "name": "J" * 201}, "name", "at most 200 characters"),
    (LEADS, {**OK, "plan": {"tier": "pro"}}, "body", "custom field 'plan'"),
    (LEADS, {**OK, "custom": {"plan": ["pro"]}}, "custom.plan", "valid string"),
    (LEADS, {**OK, **{f"field{n}": "x" for n in range(51)}}, "body", "at most 50 custom fields"),
    (LEADS, {**OK, "custom": {"note": "y" * 501}}, "body", "custom field 'note' is over 500"),
    (LEADS, {**OK, "demo_request": "maybe"}, "demo_request", "valid boolean"),
    (LEADS, {**OK, "submitted_at": "last tuesday"}, "submitted_at", "valid datetime"),
    (LEADS, {**OK, "submitted_at": "9999-12-31T23:30:00-01:00"}, "submitted_at", "out of range"),
    (LEADS, {**OK, "message": "hi\x00there"}, "message", "NUL"),
    (LEADS, {**OK, "custom": {"k\x00": "v"}}, "custom.k\x00", "NUL"),
    (LEADS, b"[" * 5000 + b"]" * 5000, "body", "nested too deeply"),
    (LEADS, {**OK, "event_id": "e" * 201}, "event_id", "over 200 characters"),
    (SIGNALS, {k: v for k, v in EVENT.items() if k != "kind"}, "kind", "Field required"),
    (SIGNALS, {**EVENT, "occurred_at": "soon"}, "occurred_at", "valid datetime"),
    (SIGNALS, {**EVENT, "occurred_at": "0001-01-01T00:00:00+01:00"}, "occurred_at", "out of range"),
    (SIGNALS, {"kind": "page_view", "occurred_at": EVENT["occurred_at"]}, "body",
     "email, lead_external_id or domain"),
    (SIGNALS, {**EVENT, "weight": 1000}, "weight", "less than or equal to 100"),
    (SIGNALS, {**EVENT, "colour": "red"}, "colour", "Extra inputs are not permitted"),
    (SIGNALS, {**EVENT, "kind": "page\x00view"}, "kind", "NUL"),
    (LEADS, {**OK, "custom": {"\ud800": "x"}}, "custom", "valid string"),  # unpaired surrogate
    (LEADS, {**OK, "\ud800": "a\x00"}, "\ud800", "NUL"),  # quoted back as JSON, not a 500
    (SIGNALS, {"events": []}, "events", "at least 1 item"),
    (SIGNALS, {"events": [EVENT] * 501}, "events", "at most 500 items"),
    (SIGNALS, {"events": [EVENT, {**EVENT, "occurred_at": None}]}, "events.1.occurred_at",
     "valid datetime"),
    (SIGNALS, {"events": "all of them"}, "events", "valid list"),
    (SIGNALS, b"42", "body", "must be a JSON object"),
]  # fmt: skip


def test_invalid_bodies_are_422_naming_the_field_and_store_nothing(hook: Hook) -> None:
    for path, body, field, words in INVALID:
        response = hook.post(path, body)
        assert response.status_code == 422, (path, body, response.text)
        answer = response.json()
        # A value of the wrong type may add the type it tried: `custom.plan.constrained-str`.
        assert answer["field"] == field or answer["field"].startswith(f"{field}."), (body, answer)
        assert words in answer["error"], (body, answer)
    assert hook.counts() == NOTHING


# --- signals --------------------------------------------------------------------------------


def test_signals_join_the_lead_one_at_a_time_or_in_a_batch(hook: Hook) -> None:
    lead = hook.post(LEADS, {"email": "vp@initech.io", "external_id": "crm-9"}).json()
    assert lead["tier"] == "cold"
    one = hook.post(SIGNALS, {**EVENT, "email": "VP@initech.io", "detail": "/pricing"})
    assert one.status_code == 202, one.text
    assert one.json() == {"received": 1, "duplicates": 0, "matched_leads": 1,
                          "matched_accounts": 0, "unmatched": 0,
                          "rescored_leads": [lead["lead_id"]]}  # fmt: skip
    batch = {"events": [
        {"event_id": "e1", "kind": "demo_request", "occurred_at": "2026-11-23T13:59:00Z",
         "lead_external_id": "crm-9"},
        {"event_id": "e2", "kind": "webinar_attended", "occurred_at": "2026-11-22T10:00:00Z",
         "domain": "https://www.acme.com/about"},
        {"event_id": "e3", "kind": "page_view", "occurred_at": "2026-11-23T12:00:00+01:00",
         "email": "nobody@nowhere.io"},
    ]}  # fmt: skip
    many = hook.post(SIGNALS, batch)
    assert many.status_code == 202, many.text
    assert many.json() == {"received": 3, "duplicates": 0, "matched_leads": 1,
                           "matched_accounts": 1, "unmatched": 1,
                           "rescored_leads": [lead["lead_id"]]}  # fmt: skip
    with hook.services.uow_factory() as uow:
        stored = uow.signals.for_leads([lead["lead_id"]])
        now_lead = uow.leads.get(lead["lead_id"])
    assert sorted((s.kind, s.detail) for s in stored) == [("demo_request", ""),
                                                           ("page_view", "/pricing")]  # fmt: skip
    assert now_lead is not None and now_lead.tier == "hot"
    with hook.services.engine.connect() as conn:
        on_acme = conn.execute(text("select kind from signal where account_id = :a and lead_id "
                                    "is null"), {"a": hook.team.acme}).scalars().all()  # fmt: skip
    assert on_acme == ["webinar_attended"]
    again = hook.post(SIGNALS, batch)
    assert again.json()["duplicates"] == 3 and again.json()["matched_leads"] == 0
    assert hook.counts()["signal"] == 3


# --- the API document -----------------------------------------------------------------------


def test_the_openapi_document_describes_both_webhooks(tmp_path: Path) -> None:
    with hook_app(f"sqlite:///{tmp_path / 'doc.db'}") as served:
        document = served.http.get("/openapi.json").json()
    for path, model, example in ((LEADS, LeadIn, SARAH), (SIGNALS, SignalIn, EVENT)):
        post = document["paths"][path]["post"]
        headers = {p["name"]: p["required"] for p in post["parameters"] if p["in"] == "header"}
        assert headers == {"X-Dealbot-Signature": True, "X-Dealbot-Timestamp": True,
                           "Idempotency-Key": False}  # fmt: skip
        schema = post["requestBody"]["content"]["application/json"]["schema"]
        assert set(model.model_fields) <= set(schema["properties"])
        jsonschema.validate(example, schema)
        assert {"202", "401", "413", "422", "503"} <= set(post["responses"])
        assert "HMAC-SHA256" in post["description"]


# --- never a 500 ----------------------------------------------------------------------------

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
ANSWERS = {200, 202, 413, 422}

texts = st.text(max_size=40) | st.text(st.characters(codec=None, categories=["Cs"]), max_size=3)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | texts
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(texts, inner, max_size=5),
    max_leaves=25,
)  # fmt: skip
words = st.text(st.characters(exclude_characters="\x00"), max_size=40)
moments = st.datetimes(timezones=st.timezones() | st.none()).map(lambda d: d.isoformat())
# Values of the right kind for a field, so that bodies get past validation into the handlers.
TYPED: dict[str, st.SearchStrategy[Any]] = {
    "email": st.emails().map(str) | st.sampled_from(["Jo@Initech.io", "vp@initech.io"]),
    "lead_external_id": st.sampled_from(["crm-1", "crm-2"]) | words,
    "external_id": st.sampled_from(["crm-1", "crm-2"]) | words,
    "domain": st.sampled_from(["acme.com", "https://www.acme.com/about", "gmail.com"]) | words,
    "kind": st.sampled_from(["page_view", "demo_request", "pricing_page", "webinar"]) | words,
    "submitted_at": moments,
    "occurred_at": moments,
    "demo_request": st.booleans(),
    "weight": st.floats(min_value=0, max_value=100),
    "custom": st.dictionaries(st.text(max_size=12), st.none() | st.integers() | words, max_size=5),
}


def shaped(model: type[BaseModel], *, needs: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """Bodies with the model's field names: plausible values (with the fields it `needs`, so
    they reach the handler), or any JSON at all under those names."""
    names = sorted(model.model_fields)
    typed = {name: TYPED.get(name, words) for name in names}
    tame = st.fixed_dictionaries(
        {name: typed[name] for name in needs},
        optional={name: typed[name] for name in names if name not in needs},
    )
    wild = st.fixed_dictionaries({}, optional={name: typed[name] | json_values for name in names})
    return tame | wild


@pytest.fixture(scope="module")
def fuzz_hook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hook]:
    with hook_app(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}") as served:
        yield served


def post_both(hook: Hook, raw: bytes) -> None:
    for path in (LEADS, SIGNALS):
        response = hook.http.post(path, content=raw, headers=signed(raw))
        event(f"{path} {response.status_code}")  # --hypothesis-show-statistics: how deep
        assert response.status_code in ANSWERS, (path, raw[:300], response.text)


@FUZZ
@given(value=json_values)
def test_any_signed_json_is_answered_never_500(fuzz_hook: Hook, value: Any) -> None:
    post_both(fuzz_hook, json.dumps(value).encode())


@FUZZ
@given(raw=st.binary(max_size=300))
def test_any_signed_bytes_are_answered_never_500(fuzz_hook: Hook, raw: bytes) -> None:
    post_both(fuzz_hook, raw)


@FUZZ
@given(
    body=shaped(LeadIn, needs=("email",)) | shaped(SignalIn, needs=("kind", "occurred_at")),
    batch=st.booleans(),
)
def test_bodies_shaped_like_leads_and_signals_are_answered_never_500(
    fuzz_hook: Hook, body: dict[str, Any], batch: bool
) -> None:
    post_both(fuzz_hook, json.dumps({"events": [body]} if batch else body).encode())


header_values = (
    st.none()
    | st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=80)
    | st.integers().map(str)
    | st.integers(min_value=-(10**500), max_value=10**500).map(str)
    | st.text("0123456789abcdef", min_size=64, max_size=64).map(lambda h: "v1=" + h)
    | st.just(str(int(time.time())))
)


@FUZZ
@given(timestamp=header_values, signature=header_values, key=st.none() | texts)
def test_any_signature_headers_are_refused_never_500(
    fuzz_hook: Hook, timestamp: str | None, signature: str | None, key: str | None
) -> None:
    raw = json.dumps({**OK, "message": "fuzzed headers"}).encode()
    headers = {"Content-Type": "application/json"}
    for name, value in (("X-Dealbot-Timestamp", timestamp), ("X-Dealbot-Signature", signature)):
        if value is not None:
            headers[name] = value
    if key is not None and key.isascii() and key.isprintable():
        headers["Idempotency-Key"] = key
    for path in (LEADS, SIGNALS):
        response = fuzz_hook.http.post(path, content=raw, headers=headers)
        assert response.status_code in {401, 413, 422}, (path, headers, response.text)
