"""The dashboard's panels: one function each, returning a `Panel` (a view model and the template
that draws it, `templates/panels/<template>.html`).

Adding a panel is one function here and one template: put the function in `PANELS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.dashboard.svg import Bar, bar_chart, reliability_diagram
from bot.services import Services
from core.pipeline_stats import brier_score, reliability
from core.ports import OutboxItem
from core.roi import RoiReport
from core.sla_report import SlaReport
from handlers.dashboard import VELOCITY_WINDOW, calibration_pairs, pipeline_totals, velocity
from handlers.roi_report import roi_report_from
from handlers.sla_report import sla_report
from storage.delivery import DEAD, OutboxQueue

SLA_DAYS = 7
CALIBRATION_BINS = 10
DEAD_SHOWN = 50


@dataclass(frozen=True, slots=True)
class Panel:
    key: str
    title: str
    template: str
    view: Any = None
    notes: tuple[str, ...] = field(default=())


@dataclass
class DashboardContext:
    services: Services
    now: datetime
    reports: dict[str, Any] = field(default_factory=dict)
    """Reads shared by several panels (the SLA report), made once per page."""


def pipeline_panel(ctx: DashboardContext) -> Panel:
    totals = pipeline_totals(ctx.services.uow_factory, ctx.services.settings.pipeline)
    by_currency: dict[str, list[Any]] = {}
    for total in totals:
        by_currency.setdefault(total.currency, []).append(total)
    charts = {
        currency: bar_chart(
            [
                Bar(t.stage, (t.value,), f"{t.count} deals · {money(t.value, currency)}")
                for t in rows
            ],
            title=f"Open pipeline by stage ({currency})",
        )
        for currency, rows in by_currency.items()
    }
    view = {"by_currency": by_currency, "charts": charts}
    return Panel("pipeline", "Pipeline by stage", "pipeline", view)


def velocity_panel(ctx: DashboardContext) -> Panel:
    rows = velocity(ctx.services.uow_factory, at=ctx.now)
    note = (
        f"Win rate, average won deal and cycle length from deals closed in the last "
        f"{VELOCITY_WINDOW.days} days. Velocity = open deals × win rate × average won deal ÷ "
        "cycle days: the pipeline value expected to close per day."
    )
    return Panel("velocity", "Pipeline velocity", "velocity", rows, (note,))


def calibration_panel(ctx: DashboardContext) -> Panel:
    services = ctx.services
    pairs = calibration_pairs(
        services.uow_factory, services.forecaster(), services.settings.pipeline
    )
    bins = reliability(pairs, CALIBRATION_BINS)
    view = {
        "bins": bins,
        "count": len(pairs),
        "brier": brier_score(pairs),
        "chart": reliability_diagram(bins, title="Predicted win probability against outcomes"),
    }
    note = (
        "The live deal model on closed deals, as each stood at every stage it entered. Points on "
        "the dashed line mean a 30% deal wins about 30% of the time. These deals include the ones "
        "the model learned from, so it looks a little better here than it will on new deals."
    )
    return Panel("calibration", "Win-probability calibration", "calibration", view, (note,))


def response_panel(ctx: DashboardContext) -> Panel:
    report = _sla(ctx)
    reps = [r for r in report.by_rep if r.count]
    chart = bar_chart(
        [
            Bar(r.label, (_minutes(r.median), _minutes(r.p90)), f"{r.touched}/{r.count} touched")
            for r in reps
        ],
        title="Time to first touch by rep (minutes)",
        series=("median", "p90"),
    )
    view = {"report": report, "reps": reps, "chart": chart, "days": SLA_DAYS}
    return Panel("response", f"Time to first touch (last {SLA_DAYS} days)", "response", view)


def breaches_panel(ctx: DashboardContext) -> Panel:
    report = _sla(ctx)
    return Panel("breaches", f"SLA breaches (last {SLA_DAYS} days)", "breaches", report.breached)


def dead_letters_panel(ctx: DashboardContext) -> Panel:
    queue = OutboxQueue(ctx.services.engine)
    items: list[OutboxItem] = queue.by_status(DEAD, limit=DEAD_SHOWN)
    note = "Retry sends a message again (as `dealbot outbox retry` does); each retry is audited."
    return Panel("dead", "Undelivered messages (dead letters)", "dead_letters", items, (note,))


def roi_panel(ctx: DashboardContext) -> Panel:
    report = roi_report_from(
        ctx.services.uow_factory, now=ctx.now, weeks=1, pipeline=ctx.services.settings.pipeline
    )
    view = {"report": report, "chart": _response_trend(report)}
    note = (
        "Everyone's actions from the ranked lists, the last 7 days against the 7 before, as in "
        "the managers' weekly report. A deal counts when it advanced or was won within 14 days "
        "after a done action, so the last days' figures can still grow. Amounts are per "
        "currency, never converted."
    )
    return Panel("roi", "What the action lists led to (ROI)", "roi", view, (note,))


PANELS: tuple[Callable[[DashboardContext], Panel], ...] = (
    pipeline_panel,
    velocity_panel,
    calibration_panel,
    response_panel,
    breaches_panel,
    dead_letters_panel,
    roi_panel,
)


def _sla(ctx: DashboardContext) -> SlaReport:
    if "sla" not in ctx.reports:
        since = ctx.now - timedelta(days=SLA_DAYS)
        ctx.reports["sla"] = sla_report(ctx.services.uow_factory, since=since, until=ctx.now)
    report: SlaReport = ctx.reports["sla"]
    return report


def _response_trend(report: RoiReport) -> Any:
    weeks = report.response
    return bar_chart(
        [
            Bar(
                week.week,
                (_minutes(week.median),),
                (f"{duration(week.median)} median" if week.median is not None else "none touched")
                + f" · {week.leads} lead{'' if week.leads == 1 else 's'}",
            )
            for week in weeks
        ],
        title="Median time to first touch by week (minutes)",
    )


def _minutes(span: timedelta | None) -> float:
    return span.total_seconds() / 60 if span is not None else 0.0


def money(value: float | None, currency: str) -> str:
    """`$45.2k`, `€1.3M`, `GBP 900`: short, with the currency's symbol when it has a common one."""
    if value is None:
        return "–"
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency)
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            number = f"{value / size:.1f}{suffix}"
            break
    else:
        number = f"{value:.0f}"
    return f"{symbol}{number}" if symbol else f"{currency} {number}"


def duration(span: timedelta | None) -> str:
    """`4 min`, `2 h 05 min`, `–` for none."""
    if span is None:
        return "–"
    minutes = int(span.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min" if minutes else f"{int(span.total_seconds())} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"
