"""The drafting model through litellm: model, timeout, retries and fallbacks from settings.

litellm is imported only when the first draft is written (it takes seconds), with its local
model cost map so that importing it reaches nothing on the network. Whatever goes wrong comes
back as `ModelUnavailable` with a reason a rep can read, and the template stands in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from core.drafts import ModelUnavailable

MAX_TOKENS = 700
TEMPERATURE = 0.4


def import_litellm() -> Any:
    """litellm, imported on first use with its bundled cost map (no download at import)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    return litellm


class LiteLLMDrafter:
    """A `core.ports.Drafter` that asks a model through litellm; text only, no tools."""

    def __init__(
        self,
        model: str,
        *,
        timeout: float,
        retries: int = 0,
        fallbacks: Sequence[str] = (),
        mock_response: str | Exception | None = None,
        mock_timeout: bool = False,
    ) -> None:
        self._model, self.timeout, self.retries = model, timeout, retries
        self.fallbacks = tuple(fallbacks)
        self.mock_response, self.mock_timeout = mock_response, mock_timeout

    @property
    def model(self) -> str:
        return self._model

    def write(self, messages: Sequence[Mapping[str, str]]) -> str:
        litellm = import_litellm()
        try:
            response: Any = litellm.completion(**self._arguments(messages))
        except litellm.Timeout:
            raise ModelUnavailable(f"The model did not answer in {self.timeout:g} s") from None
        except litellm.RateLimitError:
            raise ModelUnavailable("The model is over its rate limit right now") from None
        except Exception as error:
            raise ModelUnavailable(
                f"The model could not be reached ({type(error).__name__})"
            ) from None
        content = response.choices[0].message.content if response.choices else None
        return str(content or "")

    def _arguments(self, messages: Sequence[Mapping[str, str]]) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "model": self._model,
            "messages": [dict(m) for m in messages],
            "timeout": self.timeout,
            "num_retries": self.retries,
            "max_tokens": MAX_TOKENS,
            "temperature": TEMPERATURE,
        }
        if self.fallbacks:
            arguments["fallbacks"] = list(self.fallbacks)
        if self.mock_response is not None:
            arguments["mock_response"] = self.mock_response
        if self.mock_timeout:
            arguments["mock_timeout"] = True
        return arguments
