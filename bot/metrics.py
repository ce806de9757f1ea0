"""Prometheus metrics of one process: a registry per `Services`, served at `GET /metrics`.

Counters and the acknowledgement histogram are this process's own: sum them over replicas.
Time to first touch is read from the database at scrape time (touches are recorded by whichever
process ran the button, a handler worker process included), so every replica reports the same
figures for it: take `max`, not `sum`, over replicas.

Names follow Prometheus' conventions: `_total` counters, `_seconds` histograms, base units.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
"""Slack wants an answer within 3 s; most should take milliseconds."""
FIRST_TOUCH_BUCKETS = (60, 300, 900, 1800, 3600, 4 * 3600, 8 * 3600, 24 * 3600, 3 * 24 * 3600)
"""1 min, 5 min (a hot lead's clock), 15 and 30 min, 1, 4, 8 h, a day, three days."""
TOUCH_OVERLAP = timedelta(minutes=5)
"""Touches are read again this far back: one committed late by another process is not missed."""

Touches = Callable[[datetime | None], list[tuple[int, datetime, datetime]]]
"""(lead id, clock started, first touch) of leads touched at or after a time (None: all)."""


class Metrics:
    """Every metric dealbot exposes, in its own registry (built by `Services`, never at import)."""

    def __init__(self, touches: Touches | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.deliveries = Counter(
            "dealbot_outbox_deliveries", "Outbox messages the platform took.", ["platform"],
            registry=r,
        )  # fmt: skip
        self.retries = Counter(
            "dealbot_outbox_retries",
            "Outbox sends to try again: rate_limited (429), failed (5xx, timeout) or unsure "
            "(a check for an earlier delivery could not be made).",
            ["platform", "reason"],
            registry=r,
        )
        self.dead_letters = Counter(
            "dealbot_outbox_dead_letters", "Outbox messages given up on.", ["platform"], registry=r
        )
        self.found_delivered = Counter(
            "dealbot_outbox_found_delivered",
            "Messages of a dead sender found already delivered, marked sent without a second send.",
            ["platform"],
            registry=r,
        )
        self.ack_seconds = Histogram(
            "dealbot_ack_seconds",
            "Time from a Slack or Teams request to the start of its answer (the acknowledgement).",
            ["platform"],
            buckets=ACK_BUCKETS,
            registry=r,
        )
        self.sla_levels = Counter(
            "dealbot_sla_levels",
            "Response clock levels fired: reminder, breach (an SLA breach), escalation.",
            ["level"],
            registry=r,
        )
        self.scheduler_ticks = Counter(
            "dealbot_scheduler_ticks",
            "Clock passes by job: ran, skipped (another replica was running it) or failed.",
            ["job", "outcome"],
            registry=r,
        )
        if touches is not None:
            r.register(FirstTouchCollector(touches))

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)


class FirstTouchCollector(Collector):
    """`dealbot_lead_first_touch_seconds`: from a lead's response clock start to its first touch.

    Each scrape reads only the touches since the last one (minus an overlap, deduplicated by
    lead id), so the figures are cumulative like any histogram's and a scrape stays cheap.
    """

    def __init__(self, touches: Touches) -> None:
        self.touches = touches
        self._lock = threading.Lock()
        self._seen: set[int] = set()
        self._since: datetime | None = None
        self._counts = [0] * (len(FIRST_TOUCH_BUCKETS) + 1)
        self._sum = 0.0

    def describe(self) -> Iterable[Metric]:
        return []  # read at scrape time only: registering must not query the database

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            self._read_new()
            cumulative, total = [], 0
            for bound, count in zip(
                (*FIRST_TOUCH_BUCKETS, float("inf")), self._counts, strict=True
            ):
                total += count
                cumulative.append(("+Inf" if bound == float("inf") else f"{bound:g}", total))
            family = HistogramMetricFamily(
                "dealbot_lead_first_touch_seconds",
                "Time from a lead's response clock start to its first touch (from the database).",
                buckets=cumulative,
                sum_value=self._sum,
            )
        yield family

    def _read_new(self) -> None:
        since = None if self._since is None else self._since - TOUCH_OVERLAP
        for lead_id, started, touched in self.touches(since):
            self._since = touched if self._since is None else max(self._since, touched)
            if lead_id in self._seen:
                continue
            self._seen.add(lead_id)
            seconds = max(0.0, (touched - started).total_seconds())
            self._sum += seconds
            slot = next(
                (n for n, bound in enumerate(FIRST_TOUCH_BUCKETS) if seconds <= bound),
                len(FIRST_TOUCH_BUCKETS),
            )
            self._counts[slot] += 1
