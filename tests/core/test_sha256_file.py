"""core's sha256_file: the one file hash of the studio (pull verification, Deploy uploads)."""

from __future__ import annotations

import hashlib

import pytest

from studio.api import JobCancelled, JobContext, sha256_file
from studio.core.remote_transfer import HASH_CHUNK


class Recording(JobContext):
    def __init__(self, cancel_after: int | None = None) -> None:
        super().__init__()
        self.reports: list[tuple[float | None, str | None]] = []
        self.cancel_after = cancel_after

    def report(self, fraction=None, message=None) -> None:
        super().report(fraction, message)
        self.reports.append((fraction, message))
        if self.cancel_after is not None and len(self.reports) >= self.cancel_after:
            self.cancel()


@pytest.fixture
def three_chunks(tmp_path):
    path = tmp_path / "model.gguf"
    path.write_bytes(bytes(range(256)) * (HASH_CHUNK * 3 // 256 - 7))  # not a chunk multiple
    return path


def test_digest_matches_hashlib(three_chunks) -> None:
    assert sha256_file(three_chunks) == hashlib.sha256(three_chunks.read_bytes()).hexdigest()


def test_progress_fills_the_given_share_of_the_job(three_chunks) -> None:
    ctx = Recording()
    sha256_file(three_chunks, ctx, (0.2, 0.5))
    fractions = [fraction for fraction, _ in ctx.reports]
    assert len(fractions) == 3
    assert fractions == sorted(fractions) and fractions[0] > 0.2
    assert fractions[-1] == pytest.approx(0.5)
    assert {message for _, message in ctx.reports} == {"Checksumming model.gguf"}


def test_no_share_reports_nothing(three_chunks) -> None:
    ctx = Recording()
    sha256_file(three_chunks, ctx)
    assert ctx.reports == []


def test_cancel_between_chunks(three_chunks) -> None:
    with pytest.raises(JobCancelled):
        sha256_file(three_chunks, Recording(cancel_after=1), (0.0, 1.0))
