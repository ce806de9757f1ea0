"""The weekly ROI report as a neutral message (Slack, Teams and the emulator render it)."""

from __future__ import annotations

from collections.abc import Sequence

from core.messages import Field, Message, Section
from core.money import format_amount
from core.roi import Money, RoiPeriod, RoiReport
from core.sla import describe_duration


def _money(values: Sequence[Money]) -> str:
    return ", ".join(format_amount(m.amount, m.currency) for m in values) or "none"


def _drafts(period: RoiPeriod) -> str:
    d = period.drafts
    return f"{d['approved']} as written, {d['edited']} edited, {d['rejected']} rejected"


def _moved(period: RoiPeriod) -> str:
    return (
        f"{period.deals_moved} moved ({period.deals_won} won)\n"
        f"carrying {_money(period.moved_value)}; won {_money(period.won_value)}"
    )


def _pair(label: str, current: str, previous: str, report: RoiReport) -> Section:
    now, before = _period_names(report.weeks)
    return Section(heading=label, fields=(Field(now, current), Field(before, previous)))


def _period_names(weeks: int) -> tuple[str, str]:
    if weeks == 1:
        return "This week", "Week before"
    return f"Last {weeks} weeks", f"{weeks} weeks before"


def _response_text(report: RoiReport) -> str:
    lines = [
        f"{week.week}: "
        + (
            f"{describe_duration(week.median)} median over {week.touched} touched"
            if week.median is not None
            else "no lead touched"
        )
        + f" ({week.leads} lead{'s' if week.leads != 1 else ''})"
        for week in report.response
    ]
    return "\n".join(lines) or "No response clocks started in these weeks."


def roi_message(report: RoiReport) -> Message:
    """The weekly report for a manager: this period against the one before, and the trend."""
    cur, prev = report.current, report.previous
    summary = (
        f"Weekly report for {report.scope}: {cur.actions_done} actions done, "
        f"{cur.deals_moved} deals moved within 14 days"
    )
    return Message(
        summary=summary,
        title=f"What the actions led to: {report.scope}",
        sections=(
            _pair(
                "Actions done from the feed", str(cur.actions_done), str(prev.actions_done), report
            ),
            _pair(
                "Deals that advanced or were won within 14 days", _moved(cur), _moved(prev), report
            ),
            _pair("Drafts", _drafts(cur), _drafts(prev), report),
            Section(heading="Median time to first touch, by week", text=_response_text(report)),
        ),
        footer=(
            "Deals acted on in the last 14 days can still move, so this week's figures grow. "
            "Amounts are per currency, never converted."
        ),
        private=False,
    )
