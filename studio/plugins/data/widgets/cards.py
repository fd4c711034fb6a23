"""Dashboard cards: the latest dataset, its acceptance rate, its top rejection reason.

The cards read the newest dataset folder's summaries (metadata.json, stats.json,
rejection_summary.json: a few small files) on a worker thread, never the JSONL lines.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from studio.plugins.data.dataset import read_json_file
from studio.plugins.data.widgets.common import DataListener, muted, state_of
from studio.shell.api import Background, ViewContext, icon

__all__ = ["AcceptanceCard", "LatestDatasetCard", "TopRejectionCard", "latest_summary"]


def latest_summary(state: Any) -> dict[str, Any] | None:
    """Name, counts and reasons of the newest dataset folder, from its summary files."""
    entries = state.datasets()
    if not entries:
        return None
    entry = entries[0]
    stats = read_json_file(entry.path / "stats.json")
    rejections = read_json_file(entry.path / "rejection_summary.json")
    by_reason = rejections.data.get("by_reason") if rejections.ok else None
    rejected = rejections.data.get("total_rejected") if rejections.ok else None
    final = stats.data.get("final_count") if stats.ok else None
    if not isinstance(final, int) and entry.train is not None:
        final = entry.train
    return {"name": entry.name, "path": entry.path, "created": entry.created,
            "accepted": final if isinstance(final, int) else None,
            "rejected": rejected if isinstance(rejected, int) else None,
            "reasons": by_reason if isinstance(by_reason, dict) else {},
            "domains": entry.domains}


class _Card(QWidget):
    def __init__(self, context: ViewContext) -> None:
        super().__init__()
        self.context = context
        self.state = state_of(context)
        self.body = QLabel("Loading…")
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setWordWrap(True)
        self.note = muted()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.body)
        layout.addWidget(self.note)
        button = QPushButton(icon("mdi6.database-outline"), "Open Data")
        button.clicked.connect(lambda: context.run_command("workbench.workspace.data"))
        layout.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
        self._background = Background(self)
        self.listener = DataListener(context, self)
        self.listener.dataset.connect(lambda _e: self.refresh())
        self.listener.datasets.connect(lambda _e: self.refresh())  # hafs added a dataset
        self.refresh()

    def refresh(self) -> None:
        self._background.run(lambda: latest_summary(self.state), self._render)

    def _render(self, summary: dict[str, Any] | None, error: Exception | None = None) -> None:
        if error is not None:
            self.body.setText("Could not read the dataset folders.")
            self.note.setText(f"{type(error).__name__}: {error}")
            return
        if summary is None:
            self.body.setText("No datasets yet.")
            self.note.setText(str(self.state.datasets_folder))
            return
        self.render(summary)

    def render(self, summary: dict[str, Any]) -> None:
        raise NotImplementedError


class LatestDatasetCard(_Card):
    def render(self, summary: dict[str, Any]) -> None:
        accepted = summary["accepted"]
        self.body.setText(f"<b>{summary['name']}</b><br>"
                          + (f"{accepted:,} samples" if accepted is not None else ""))
        self.note.setText(" · ".join(summary["domains"]) or str(summary["path"]))


class AcceptanceCard(_Card):
    def render(self, summary: dict[str, Any]) -> None:
        accepted, rejected = summary["accepted"], summary["rejected"]
        if accepted is None or rejected is None or accepted + rejected == 0:
            self.body.setText("No acceptance figures (stats.json or rejection_summary.json "
                              "missing).")
            return
        rate = accepted / (accepted + rejected)
        self.body.setText(f"<span style='font-size:20pt; font-weight:600'>{100 * rate:.1f} %"
                          f"</span>")
        self.note.setText(f"{accepted:,} accepted, {rejected:,} rejected · {summary['name']}")


class TopRejectionCard(_Card):
    def render(self, summary: dict[str, Any]) -> None:
        reasons = sorted(((int(n), str(r)) for r, n in summary["reasons"].items()
                          if isinstance(n, int)), reverse=True)
        if not reasons:
            self.body.setText("No rejections recorded.")
            return
        count, reason = reasons[0]
        total = sum(n for n, _ in reasons)
        self.body.setText(f"<b>{reason}</b><br>{count:,} of {total:,} rejected samples "
                          f"({100 * count / total:.0f} %)")
        self.note.setText(summary["name"])
