"""CPU time of processes, read from /proc/<pid>/stat (Linux): to put a CPU cost on each lead."""

from __future__ import annotations

import os

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of every thread of `pid` so far (children not counted)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()  # the name in brackets may hold spaces
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime: fields 14 and 15


class CpuMeter:
    """CPU time each named process spent between `start()` and `per_lead()`."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self._started: dict[str, float] = {}

    def start(self) -> None:
        self._started = {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    def per_lead(self, leads: int) -> dict[str, float]:
        """Name -> milliseconds of CPU per lead since `start()`."""
        spent = {name: cpu_seconds(pid) - self._started[name] for name, pid in self.pids.items()}
        return {name: seconds * 1000 / max(leads, 1) for name, seconds in spent.items()}

    def line(self, leads: int, load_side: tuple[str, ...]) -> str:
        """ "CPU per lead: web 4.8 ms, ..." with the sum of the `load_side` processes."""
        costs = self.per_lead(leads)
        parts = ", ".join(f"{name} {ms:.2f} ms" for name, ms in costs.items())
        load = sum(costs[name] for name in load_side)
        return f"CPU per lead: {parts} (load side {load:.2f} ms; 10 ms clock ticks)"
