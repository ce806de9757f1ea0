"""The local fake Slack Web API (tests/fake_slack.py) in a process of its own, for the benchmarks.

In the load client's process the fake's threads would share one GIL with the client, and each
would slow the other. Here the child serves `FakeSlack` on a free loopback port, prints its API
URL on one line, then answers requests on its stdin: `posts N` gives back, as one JSON line, the
`chat.postMessage` calls from its N-th recorded call on (`[outbox key, time received]` each) and
the index to ask from next, so the parent reads only what is new. End of stdin stops it.

Times are `time.monotonic()` as `FakeSlack` records them: CLOCK_MONOTONIC, one clock for the
whole machine on Linux, so they compare with the load client's own `time.monotonic()`.

    with FakeSlackProcess() as fake:
        env["SLACK_API_URL"] = fake.api_url
        ...
        fake.alerts()  # lead id -> when its channel alert arrived
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parent.parent


def post_key(params: dict[str, Any]) -> str:
    """The outbox key the app puts in a post's metadata ("lead:12:channel"), or ""."""
    metadata = params.get("metadata") or {}
    if isinstance(metadata, str):
        metadata = json.loads(metadata)
    return str((metadata.get("event_payload") or {}).get("key", ""))


def channel_alerts(
    posts: list[tuple[str, float]], seen: dict[int, float] | None = None
) -> dict[int, float]:
    """Lead id -> when its first channel alert arrived, from `(key, time)` posts in order.

    Given `seen` (from earlier posts), adds the new posts' alerts to it.
    """
    seen = {} if seen is None else seen
    for key, at in posts:
        if key.startswith("lead:") and key.endswith(":channel"):
            seen.setdefault(int(key.split(":")[1]), at)
    return seen


def alerts_received(fake: Any) -> dict[int, float]:
    """Lead id -> when its channel alert reached an in-process `FakeSlack` (first one)."""
    return channel_alerts([(post_key(c.params), c.at) for c in fake.calls_for("chat.postMessage")])


class FakeSlackProcess:
    """The parent's side: start the child, read its URL, fetch its posts as they come."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        self._next = 0
        self.posts: list[tuple[str, float]] = []
        """Every `chat.postMessage` so far: (outbox key, time received), in order."""
        self._alerts: dict[int, float] = {}
        self.api_url = ""

    def __enter__(self) -> Self:
        command = [sys.executable, "-m", "bench.fake_slack_process"]
        self._process = subprocess.Popen(
            command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self._process.stdout is not None
        self.api_url = self._process.stdout.readline().strip()
        if not self.api_url:
            raise SystemExit("the fake Slack process did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def fetch(self) -> list[tuple[str, float]]:
        """Ask the child for the posts it took since the last fetch; return all of them."""
        assert self._process is not None and self._process.stdin and self._process.stdout
        self._process.stdin.write(f"posts {self._next}\n")
        self._process.stdin.flush()
        answer = json.loads(self._process.stdout.readline())
        self._next = answer["next"]
        new = [(key, at) for key, at in answer["posts"]]
        self.posts.extend(new)
        channel_alerts(new, self._alerts)
        return self.posts

    def alerts(self) -> dict[int, float]:
        """Lead id -> when its channel alert arrived (the first one), fetched now."""
        self.fetch()
        return self._alerts

    def duplicates(self) -> int:
        keys = [key for key, _ in self.fetch()]
        return len(keys) - len(set(keys))


def serve() -> None:
    """The child: serve the fake and answer `posts N` lines until stdin ends."""
    sys.path.insert(0, str(ROOT))
    from tests.fake_slack import FakeSlack

    with FakeSlack() as fake:
        print(fake.api_url, flush=True)
        for line in sys.stdin:
            start = int(line.split()[1])
            calls = fake.calls[start:]
            posts = [[post_key(c.params), c.at] for c in calls if c.method == "chat.postMessage"]
            print(json.dumps({"next": start + len(calls), "posts": posts}), flush=True)


if __name__ == "__main__":
    serve()
