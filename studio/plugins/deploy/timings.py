"""Timings of one generation: time to first token, token counts and decode speed.

Every backend is measured the same way so that figures compare across backends:

* **time to first token** (TTFT): from the request (before the prompt is tokenized or sent)
  to the first generated token's arrival;
* **tokens/s** (decode speed): tokens after the first one divided by the time between the
  first and the last token, i.e. prompt processing is excluded, as llama.cpp's "eval" rate and
  Ollama's ``eval_count / eval_duration`` do. A backend that measures this itself (Ollama)
  reports it with :meth:`GenerationTimer.server_eval`, and its figure is used instead.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["FINISH_REASONS", "GenerationStats", "GenerationTimer"]

FINISH_REASONS = ("stop", "length", "cancelled", "error")


@dataclass(frozen=True)
class GenerationStats:
    """What one generation cost. Times are seconds; ``None`` when not measurable."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    time_to_first_token_s: float | None = None
    total_s: float = 0.0
    tokens_per_second: float | None = None
    finish_reason: str = "stop"  # one of FINISH_REASONS
    measured_by: str = "client"  # "client" or "server" (the backend's own eval timing)

    @property
    def time_to_first_token_ms(self) -> float | None:
        ttft = self.time_to_first_token_s
        return None if ttft is None else ttft * 1000.0

    def to_dict(self) -> dict[str, Any]:
        """JSON form: the CLI's ``--json`` keys plus the raw fields."""
        data = asdict(self)
        data["time_to_first_token_ms"] = self.time_to_first_token_ms
        return data

    def summary(self) -> str:
        """``"42 tokens · 31.5 tok/s · TTFT 12 ms"`` for status lines."""
        parts = [f"{self.completion_tokens} token{'s' * (self.completion_tokens != 1)}"]
        if self.tokens_per_second is not None:
            parts.append(f"{self.tokens_per_second:.1f} tok/s")
        if self.time_to_first_token_ms is not None:
            parts.append(f"TTFT {self.time_to_first_token_ms:.0f} ms")
        if self.finish_reason not in ("stop", "length"):
            parts.append(self.finish_reason)
        return " · ".join(parts)


class GenerationTimer:
    """Collects the clock readings of one generation; :meth:`finish` turns them into stats."""

    def __init__(self, clock: Any = time.perf_counter) -> None:
        self._clock = clock
        self.started = clock()
        self.first_token_at: float | None = None
        self.last_token_at: float | None = None
        self.completion_tokens = 0
        self.prompt_tokens = 0
        self._server: tuple[int, float] | None = None
        self._server_prompt_tokens: int | None = None

    def token(self, count: int = 1) -> None:
        """``count`` generated tokens just arrived."""
        now = self._clock()
        if self.first_token_at is None:
            self.first_token_at = now
        self.last_token_at = now
        self.completion_tokens += count

    def server_eval(self, eval_count: int, eval_seconds: float,
                    prompt_tokens: int | None = None) -> None:
        """The backend's own count and decode time (e.g. Ollama's eval_count/eval_duration)."""
        self._server = (int(eval_count), float(eval_seconds))
        self._server_prompt_tokens = prompt_tokens

    def finish(self, finish_reason: str = "stop") -> GenerationStats:
        end = self._clock()
        ttft = None if self.first_token_at is None else self.first_token_at - self.started
        prompt_tokens = self.prompt_tokens
        if self._server is not None:
            count, seconds = self._server
            rate = count / seconds if count > 0 and seconds > 0 else None
            if self._server_prompt_tokens is not None:
                prompt_tokens = self._server_prompt_tokens
            return GenerationStats(prompt_tokens, count, ttft, end - self.started, rate,
                                   finish_reason, "server")
        rate = None
        if (self.completion_tokens > 1 and self.first_token_at is not None
                and self.last_token_at is not None
                and self.last_token_at > self.first_token_at):
            rate = (self.completion_tokens - 1) / (self.last_token_at - self.first_token_at)
        return GenerationStats(prompt_tokens, self.completion_tokens, ttft, end - self.started,
                               rate, finish_reason, "client")
