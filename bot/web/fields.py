"""Fields of request bodies that several pages share."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from core.ids import MAX_ID

RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
"""A database id in a request body: anything else is refused clearly, never an overflow."""
