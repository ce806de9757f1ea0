"""The emulator's page and its JSON API, under `/emulator`.

The page polls `GET /emulator/api/view` about once a second (short polling rather than
server-sent events: no connection held open, nothing for a proxy to buffer, and a server that
stops at once; an unchanged view is a few bytes). Every POST carries the page token and is
checked for its origin (`bot.web.pages`); all of it is for this machine or the admin token.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field, ValidationError

from bot.admin_access import require_admin
from bot.emulator.chat import EmulatorChat, EmulatorInputError, dm_conversation
from bot.emulator.desk import EmulatorDesk
from bot.emulator.view import EMPTY_CHANNEL, EMPTY_DM, clock_label, thread_html
from bot.services import Services
from bot.web.fields import RowId
from bot.web.pages import check_page_post, html_page
from bot.webhooks.schemas import LeadIn
from core.demo_inbound import simulated_lead
from core.ids import MAX_ID
from core.model import Rep, Team
from core.schedule import zone_is_known
from handlers.targets import EMULATOR_TEAM

TERRITORIES = ("US-East", "US-Central", "US-West", "LATAM", "UK&I", "DACH", "Nordics", "Benelux",
               "SEA", "ANZ")  # fmt: skip
M = TypeVar("M", bound=BaseModel)
SOURCES = ("Demo request", "Pricing page", "Referral", "Webinar", "Trade show",
           "Content download")  # fmt: skip


@dataclass
class Emulator:
    services: Services
    desk: EmulatorDesk
    chat: EmulatorChat


class SayIn(BaseModel):
    rep: RowId
    text: str = Field(min_length=1, max_length=3000)


class PressIn(BaseModel):
    rep: RowId
    entry: RowId
    action_id: str = Field(max_length=255)
    value: str = Field(max_length=2000)


class FormIn(BaseModel):
    rep: RowId
    entry: RowId
    values: dict[
        Annotated[str, Field(max_length=50)], Annotated[str, Field(max_length=5000)] | None
    ]


class LeadFormIn(BaseModel):
    random: bool = False
    name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=200)
    company: str | None = Field(None, max_length=200)
    territory: str | None = Field(None, max_length=50)
    source: str | None = Field(None, max_length=50)
    message: str = Field("", max_length=2000)
    demo_request: bool = False


class ClockIn(BaseModel):
    rep: RowId
    minutes: int | None = Field(None, ge=1, le=14 * 24 * 60)
    next_morning: bool = False


def mount_emulator(app: FastAPI, emulator: Emulator) -> None:
    app.state.emulator = emulator
    app.include_router(emulator_router(emulator))


def emulator_router(emulator: Emulator) -> APIRouter:
    router = APIRouter(prefix="/emulator", dependencies=[Depends(require_admin)], tags=["emulator"])
    posts = [Depends(check_page_post)]
    services, desk, chat = emulator.services, emulator.desk, emulator.chat

    @router.get("", response_class=HTMLResponse, include_in_schema=False)
    def page(request: Request) -> HTMLResponse:
        reps, teams = directory(services)
        return html_page(
            request,
            "emulator.html",
            reps=reps,
            teams={t.id: t for t in teams},
            territories=TERRITORIES,
            sources=SOURCES,
            active="emulator",
            emulator_on=True,
        )

    @router.get("/api/view")
    async def view(
        rep: Annotated[int, Query(ge=1, le=MAX_ID)],
        team: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
        seen: str = "",
    ) -> dict[str, Any]:
        return await asyncio.to_thread(view_of, services, desk, rep, team, seen)

    @router.post("/api/say", dependencies=posts)
    async def say(request: Request) -> JSONResponse:
        body = await _read(request, SayIn)
        await chat.say(_rep(services, body.rep).id or 0, body.text)
        return _ok()

    @router.post("/api/press", dependencies=posts)
    async def press(request: Request) -> JSONResponse:
        body = await _read(request, PressIn)
        actor = _rep(services, body.rep).id or 0
        await _guarded(chat.press(actor, body.entry, body.action_id, body.value))
        return _ok()

    @router.post("/api/form", dependencies=posts)
    async def form(request: Request) -> JSONResponse:
        body = await _read(request, FormIn)
        actor = _rep(services, body.rep).id or 0
        await _guarded(chat.submit(actor, body.entry, body.values))
        return _ok()

    @router.post("/api/leads", dependencies=posts)
    async def leads(request: Request) -> JSONResponse:
        body = await _read(request, LeadFormIn)
        submission = simulated_lead(desk.rng) if body.random else _submission(body)
        result = await desk.fire_lead(submission)
        who = submission.company or submission.name or "the lead"
        return _ok(f"{who} arrived: {result.tier or 'unscored'} lead, score {result.score}.")

    @router.post("/api/clock", dependencies=posts)
    async def clock(request: Request) -> JSONResponse:
        body = await _read(request, ClockIn)
        rep = _rep(services, body.rep)
        if body.next_morning:
            await desk.next_morning(rep)
        elif body.minutes is not None:
            await desk.advance(timedelta(minutes=body.minutes))
        else:
            raise HTTPException(400, detail="Say how many minutes, or pick the next morning.")
        return _ok()

    return router


def view_of(
    services: Services, desk: EmulatorDesk, rep_id: int, team_id: int | None, seen: str
) -> dict[str, Any]:
    """What the page shows for this rep and channel; only the version when nothing changed."""
    rep = _rep(services, rep_id)
    _, teams = directory(services)
    team = next((t for t in teams if t.id == (team_id or rep.team_id)), teams[0] if teams else None)
    zone = ZoneInfo(rep.time_zone if zone_is_known(rep.time_zone) else "UTC")
    place = rep.time_zone.rsplit("/", 1)[-1].replace("_", " ")
    now = desk.clock.now()
    dm, channel = dm_conversation(rep_id), f"{EMULATOR_TEAM}{team.id if team else 0}"
    version = f"{rep_id}.{team.id if team else 0}.{desk.transcript.version([dm, channel])}"
    answer: dict[str, Any] = {
        "version": version,
        "clock": clock_label(now, zone, f"in {place}"),
        "team": team.id if team else None,
        "channel_name": (team.alert_channel or team.name) if team else "",
    }
    if version == seen:
        return answer
    first = rep.name.split()[0]
    answer["dm"] = thread_html(
        desk.transcript.conversation(dm, viewer=rep_id),
        viewer_name=first,
        zone=zone,
        empty=EMPTY_DM,
    )
    answer["channel"] = thread_html(
        desk.transcript.conversation(channel, viewer=rep_id),
        viewer_name=first,
        zone=zone,
        empty=EMPTY_CHANNEL,
    )
    return answer


def directory(services: Services) -> tuple[list[Rep], list[Team]]:
    with services.uow_factory() as uow:
        return uow.reps.list(), uow.teams.list()


def _rep(services: Services, rep_id: int) -> Rep:
    with services.uow_factory() as uow:
        rep = uow.reps.get(rep_id)
    if rep is None or not rep.active or rep.id is None:
        raise HTTPException(400, detail="Pick someone from the list of reps.")
    return rep


async def _read(request: Request, model: type[M]) -> M:
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "request"
        raise HTTPException(400, detail=f"{where}: {first.get('msg', 'invalid')}") from None


async def _guarded(work: Any) -> None:
    try:
        await work
    except EmulatorInputError as error:
        raise HTTPException(400, detail=str(error)) from None


def _submission(body: LeadFormIn) -> Any:
    if not (body.email or body.name or body.company):
        raise HTTPException(400, detail="Give the lead at least a name, an email or a company.")
    try:
        lead = LeadIn.model_validate(
            {
                "name": body.name or None,
                "email": body.email or None,
                "company": body.company or None,
                "source": body.source or None,
                "message": body.message,
                "demo_request": body.demo_request,
                "custom": {"territory": body.territory} if body.territory else {},
            }
        )
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "lead"
        raise HTTPException(400, detail=f"{where}: {first.get('msg', 'invalid')}") from None
    return lead.submission()


def _ok(notice: str = "") -> JSONResponse:
    return JSONResponse({"ok": True, "notice": notice})
