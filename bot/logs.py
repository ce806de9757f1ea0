"""How every dealbot process logs: the CLI, handler processes and storing processes alike."""

from __future__ import annotations

import logging

QUIET_LIBRARIES = ("alembic", "apscheduler")
"""Libraries that speak at INFO about routine work (each migration step; every job run of the
scheduler's clock, every few seconds): only warnings from them unless DEALBOT_LOG_LEVEL=DEBUG."""


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    quiet = logging.NOTSET if level == "DEBUG" else logging.WARNING
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(quiet)
