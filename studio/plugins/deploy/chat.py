"""A multi-turn chat with one deployment: the conversation, its settings, per-message stats.

Qt-free: the chat view drives it from a worker thread (:meth:`ChatSession.reply` blocks while
tokens stream to ``on_piece``) and the stop button calls :meth:`ChatSession.stop` from the GUI
thread. The conversation is rendered by the deployment's backend with the model's own chat
template, the same for every backend.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from studio.plugins.deploy.backend import (
    DeployError,
    GenerationParams,
    GenerationRequest,
    GenerationStream,
)
from studio.plugins.deploy.store import Deployment
from studio.plugins.deploy.timings import GenerationStats

__all__ = ["ChatSession", "ChatTurn"]


@dataclass
class ChatTurn:
    role: str  # "user" or "assistant"
    content: str
    stats: GenerationStats | None = None
    error: str | None = None


class ChatSession:
    """The turns so far; ``generate`` is ``DeployManager.generate``."""

    def __init__(self, generate: Callable[..., GenerationStream], deployment: Deployment,
                 system_prompt: str = "", params: GenerationParams | None = None) -> None:
        self._generate = generate
        self.deployment = deployment
        self.system_prompt = system_prompt
        self.params = params or GenerationParams()
        self.turns: list[ChatTurn] = []
        self._stream: GenerationStream | None = None
        self._lock = threading.Lock()

    @property
    def busy(self) -> bool:
        return self._stream is not None

    def messages(self) -> list[dict[str, str]]:
        """What the model sees: the system prompt, then every answered turn."""
        system = [{"role": "system", "content": self.system_prompt}] \
            if self.system_prompt.strip() else []
        turns = [{"role": t.role, "content": t.content} for t in self.turns
                 if t.error is None]
        return [*system, *turns]

    def reply(self, text: str, on_piece: Callable[[str], None] = lambda piece: None
              ) -> ChatTurn:
        """Add the user's ``text`` and stream the answer (blocking; not on the GUI thread).

        A stopped answer keeps what arrived (``stats.finish_reason == "cancelled"``); a failed
        one is kept with its error and left out of later prompts.
        """
        with self._lock:
            if self._stream is not None:
                raise RuntimeError("an answer is still being generated")
            self.turns.append(ChatTurn("user", text))
            # Without a chat template the conversation is rendered as plain text.
            request = GenerationRequest.chat(self.messages())
            try:
                self._stream = self._generate(self.deployment, request, self.params)
            except DeployError as exc:
                turn = ChatTurn("assistant", "", error=str(exc))
                self.turns.append(turn)
                return turn
        try:
            for piece in self._stream:
                on_piece(piece)
            result = self._stream.result
            turn = ChatTurn("assistant", result.text, result.stats)
        except DeployError as exc:
            turn = ChatTurn("assistant", getattr(exc, "partial_text", ""), error=str(exc))
        finally:
            with self._lock:
                self._stream = None
        self.turns.append(turn)
        return turn

    def stop(self) -> None:
        """Stop the answer being generated (any thread); it ends before the next token."""
        with self._lock:
            if self._stream is not None:
                self._stream.cancel()

    def clear(self) -> None:
        self.stop()
        self.turns.clear()
