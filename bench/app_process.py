"""The real app under uvicorn in its own process, for the benchmarks that drive it over HTTP.

It adds a bare endpoint, `GET /bench/bare`, answered by the same server: the baseline that the
benchmarks' latencies are compared with.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
APP = (
    "import uvicorn\n"
    "from bot.app import create_app\n"
    "from bot.settings import load_settings\n"
    "app = create_app(load_settings())\n"
    "@app.get('/bench/bare')\n"
    "def bare() -> dict[str, bool]:\n"
    "    return {'ok': True}\n"
    "uvicorn.run(app, host='127.0.0.1', port={port}, log_level='warning')\n"
)


def start_app(env: dict[str, str], port: int, timeout: float = 30.0) -> subprocess.Popen[bytes]:
    """Start the app with `env` on 127.0.0.1:`port` and wait until it answers."""
    code = APP.replace("{port}", str(port))
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/bench/bare", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the app did not start")
