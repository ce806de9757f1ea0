"""The real app under uvicorn in its own process, for the benchmarks that drive it over HTTP.

It adds a bare endpoint, `GET /bench/bare`, answered by the same server: the baseline that the
benchmarks' latencies are compared with. With `processes` > 1 the processes share one listening
socket made here, and the kernel hands each new connection to one of them.
"""

from __future__ import annotations

import socket
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
    "import socket\n"
    "# A socket of its real family (uvicorn's fd= would take it for a Unix socket, and the\n"
    "# connections it accepts would go without TCP_NODELAY).\n"
    "listener = socket.socket(fileno={fd})\n"
    "uvicorn.Server(uvicorn.Config(app, log_level='warning')).run(sockets=[listener])\n"
)


def start_app(env: dict[str, str], port: int, timeout: float = 30.0) -> subprocess.Popen[bytes]:
    """Start the app with `env` on 127.0.0.1:`port` and wait until it answers."""
    return start_apps(env, port, 1, timeout)[0]


def start_apps(
    env: dict[str, str], port: int, processes: int, timeout: float = 30.0
) -> list[subprocess.Popen[bytes]]:
    """`processes` copies of the app with `env` on one socket at 127.0.0.1:`port`, answering."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(2048)
        fd = listener.fileno()
        code = APP.replace("{fd}", str(fd))
        started = [
            subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, pass_fds=(fd,))
            for _ in range(processes)
        ]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in started):
            break
        try:
            if httpx.get(f"http://127.0.0.1:{port}/bench/bare", timeout=1).status_code == 200:
                return started
        except httpx.HTTPError:
            time.sleep(0.2)
    for process in started:
        process.kill()
    raise SystemExit("the app did not start")
