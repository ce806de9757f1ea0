"""What to log about a failure when its message may carry customer data."""

from __future__ import annotations

import traceback
from pathlib import Path


def failure_summary(error: BaseException) -> str:
    """The error's kind and where it happened, never its message.

    Messages can carry personal data: a database error quotes the statement's parameters, which
    hold names and emails. The kind and the place are enough to start looking.
    """
    kind = type(error).__name__
    cause = getattr(error, "orig", None) or error.__cause__
    if cause is not None:
        kind += f" ({type(cause).__module__}.{type(cause).__name__})"
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "/site-packages/" not in f.filename] or frames
    if ours:
        kind += f" at {Path(ours[-1].filename).name}:{ours[-1].lineno}"
    return kind
