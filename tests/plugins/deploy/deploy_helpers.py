"""Names the Deploy plugin tests import (conftest only holds fixtures: several plugins'
conftest modules share that name, so importing from one is order-dependent)."""

from __future__ import annotations

from studio.api import JobContext

MODEL_ID = "tiny-qwen-chat"


class CancelWhen(JobContext):
    """A job context that cancels itself at the first progress message starting with
    ``prefix``: cancelling at a precise stage without racing a thread."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def report(self, fraction=None, message=None) -> None:
        super().report(fraction, message)
        if message and message.startswith(self.prefix):
            self.cancel()
