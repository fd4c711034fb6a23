"""Sample Review: browse and filter samples, approve / reject / edit / annotate, undo.

Keys (when the list or the sample has focus): j / k next / previous, a approve (golden
example), r reject, e edit a copy, u or Ctrl+Z undo. Every action changes memory at once and
is written a moment later on a worker thread (``data.autosave``), through the lock + merge of
:class:`~studio.plugins.data.annotations.AnnotationStore`.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from studio.plugins.data.dataset import Dataset
from studio.plugins.data.filters import REVIEW_STATES, SampleFilter
from studio.plugins.data.records import SPLITS, Sample
from studio.plugins.data.render import sample_html
from studio.plugins.data.widgets.common import DataListener, muted, state_of
from studio.plugins.data.widgets.edit_dialog import EditDialog
from studio.shell.api import ViewContext, current_theme, icon

__all__ = ["ReviewView"]

MAX_LISTED = 5_000  # rows in the list; the filter still runs over every sample
AUTOSAVE_MS = 500


class ReviewView(QWidget):

    def __init__(self, context: ViewContext) -> None:
        super().__init__()
        self.context = context
        self.state = state_of(context)
        self.dataset: Dataset | None = None
        self.visible: list[Sample] = []
        self._near_keys: frozenset[str] | None = None
        self._near_key = ""
        self._build()
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(AUTOSAVE_MS)
        self._autosave.timeout.connect(self.save_in_background)
        self.listener = DataListener(context, self)
        self.listener.dataset.connect(lambda e: self.show_dataset(e.dataset))
        self.listener.open_sample.connect(self.open_key)
        self.listener.review.connect(self._saved)
        self.listener.near_duplicates.connect(self._near_done)
        self.listener.theme.connect(self._render_current)
        if self.state.dataset is not None:
            self.show_dataset(self.state.dataset)

    # -- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        self.split_filter = QComboBox()
        self.split_filter.addItem("All samples", "")
        self.split_filter.addItem("Accepted (train, val, test)", "train,val,test")
        for split in SPLITS:
            self.split_filter.addItem(split, split)
        self.domain_filter, self.reason_filter, self.review_filter = (QComboBox(), QComboBox(),
                                                                      QComboBox())
        self.review_filter.addItem("Any review state", "")
        for name in REVIEW_STATES:
            self.review_filter.addItem(name, name)
        self.min_score, self.max_score = QDoubleSpinBox(), QDoubleSpinBox()
        for spin, value in ((self.min_score, 0.0), (self.max_score, 1.0)):
            spin.setRange(0.0, 1.0)
            spin.setSingleStep(0.05)
            spin.setValue(value)
            spin.valueChanged.connect(lambda _v: self.apply_filters())
        self.search = QLineEdit()
        self.search.setPlaceholderText("Text in instruction, input or output")
        self.search.textChanged.connect(lambda _t: self.apply_filters())
        for combo in (self.split_filter, self.domain_filter, self.reason_filter,
                      self.review_filter):
            combo.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.near_button = QPushButton(icon("mdi6.content-duplicate"), "Near-duplicates of this")
        self.near_button.setCheckable(True)
        self.near_button.toggled.connect(self._toggle_near)
        form = QFormLayout()
        form.addRow("Split", self.split_filter)
        form.addRow("Domain", self.domain_filter)
        form.addRow("Reason", self.reason_filter)
        scores = QHBoxLayout()
        scores.addWidget(self.min_score)
        scores.addWidget(self.max_score)
        form.addRow("Score", scores)
        form.addRow("Review", self.review_filter)
        form.addRow("Search", self.search)
        self.list = QListWidget()
        self.list.currentRowChanged.connect(lambda _r: self._render_current())
        self.count_label = muted()
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addLayout(form)
        left_layout.addWidget(self.near_button)
        left_layout.addWidget(self.count_label)
        left_layout.addWidget(self.list, 1)
        self.view = QTextBrowser()
        self.view.setOpenExternalLinks(False)
        self.feedback = QPlainTextEdit()
        self.feedback.setPlaceholderText("Feedback on this sample (saved with the annotation)")
        self.feedback.textChanged.connect(self._feedback_changed)
        self.approve_button = QPushButton(icon("mdi6.check-bold"), "Approve (golden)  a")
        self.reject_button = QPushButton(icon("mdi6.close-thick"), "Reject  r")
        self.edit_button = QPushButton(icon("mdi6.pencil-outline"), "Edit a copy…  e")
        self.undo_button = QPushButton(icon("mdi6.undo"), "Undo  u")
        self.approve_button.clicked.connect(self.approve)
        self.reject_button.clicked.connect(self.reject)
        self.edit_button.clicked.connect(self.edit)
        self.undo_button.clicked.connect(self.undo)
        self.save_status = muted()
        right = QWidget()
        right_layout = QVBoxLayout(right)
        for widget in (self.approve_button, self.reject_button, self.edit_button,
                       self.undo_button):
            right_layout.addWidget(widget)
        right_layout.addWidget(muted("Feedback"))
        right_layout.addWidget(self.feedback, 1)
        right_layout.addWidget(self.save_status)
        splitter = QSplitter()
        for widget, stretch in ((left, 2), (self.view, 5), (right, 2)):
            splitter.addWidget(widget)
            splitter.setStretchFactor(splitter.count() - 1, stretch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        self._keys = _ReviewKeys(self)
        self.list.installEventFilter(self._keys)
        self.view.installEventFilter(self._keys)
        self._set_enabled(False)

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (self.approve_button, self.reject_button, self.edit_button,
                       self.feedback, self.near_button):
            widget.setEnabled(enabled)

    # -- data --------------------------------------------------------------------------------
    def show_dataset(self, dataset: Dataset | None) -> None:
        if dataset is None:
            return
        self.dataset = dataset
        self._near_keys = None
        self.near_button.setChecked(False)
        counts = dataset.counts
        for combo, names, label in (
                (self.domain_filter, sorted(counts.domains_of(SPLITS)), "All domains"),
                (self.reason_filter, sorted(counts.reasons), "All reasons")):
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(label, "")
            for name in names:
                combo.addItem(name, name)
            combo.blockSignals(False)
        self.apply_filters()

    def current_filter(self) -> SampleFilter:
        terms = []
        for name, combo in (("split", self.split_filter), ("domain", self.domain_filter),
                            ("reason", self.reason_filter), ("review", self.review_filter)):
            if combo.currentData():
                terms.append(f"{name}={combo.currentData()}")
        chosen = SampleFilter.parse(terms)
        low, high = self.min_score.value(), self.max_score.value()
        return replace(chosen, text=self.search.text().strip(),
                       min_score=low if low > 0 else None, max_score=high if high < 1 else None,
                       keys=self._near_keys)

    def apply_filters(self) -> None:
        if self.dataset is None or self.state.review is None:
            return
        current = self.current_sample()
        notes = self.state.review.annotations()
        self.visible = self.current_filter().apply(self.dataset.samples, notes)
        if self._near_keys is not None and current is not None:
            self.visible.sort(key=lambda s: s.key != current.key)
        self.list.blockSignals(True)
        self.list.clear()
        for sample in self.visible[:MAX_LISTED]:
            self.list.addItem(self._item(sample, notes.get(sample.key)))
        self.list.blockSignals(False)
        shown = min(len(self.visible), MAX_LISTED)
        self.count_label.setText(f"{len(self.visible):,} of {len(self.dataset.samples):,} "
                                 "samples" + (f" (first {shown:,} listed)"
                                              if shown < len(self.visible) else ""))
        keys = [s.key for s in self.visible[:MAX_LISTED]]
        row = keys.index(current.key) if current is not None and current.key in keys else 0
        self.list.setCurrentRow(row if keys else -1)
        self._render_current()

    def _item(self, sample: Sample, annotation: Any) -> QListWidgetItem:
        marks = ""
        if annotation is not None:
            marks = {"approved": "✓ ", "rejected": "✗ "}.get(annotation.decision, "")
            marks += "✎ " if annotation.edited is not None else ""
            marks += "💬 " if annotation.feedback else ""
        text = sample.instruction.strip().splitlines()[0] if sample.instruction.strip() else "—"
        item = QListWidgetItem(f"{marks}[{sample.split}] {text[:90]}")
        item.setData(Qt.ItemDataRole.UserRole, sample.key)
        item.setToolTip(f"{sample.split} line {sample.line} · {sample.domain}")
        return item

    def visible_keys(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def current_sample(self) -> Sample | None:
        row = self.list.currentRow()
        return self.visible[row] if 0 <= row < len(self.visible) else None

    def open_key(self, key: str) -> None:
        """Show one sample (from the map or the cluster list), clearing filters that hide it."""
        if self.dataset is None:
            return
        if key not in {s.key for s in self.visible}:
            self.near_button.setChecked(False)
            for combo in (self.split_filter, self.domain_filter, self.reason_filter,
                          self.review_filter):
                combo.setCurrentIndex(0)
            self.min_score.setValue(0.0)
            self.max_score.setValue(1.0)
            self.search.clear()
        keys = self.visible_keys()
        if key in keys:
            self.list.setCurrentRow(keys.index(key))
        self.context.show_view("data.review")

    # -- rendering ---------------------------------------------------------------------------
    def _render_current(self) -> None:
        sample = self.current_sample()
        self._set_enabled(sample is not None)
        if sample is None:
            self.view.setHtml("<p>No sample matches the filters.</p>" if self.dataset else
                              "<p>Open a dataset to review its samples.</p>")
            return
        theme = current_theme()
        annotation = self.state.review.get(sample.key) if self.state.review else None
        badge, color = (("ACCEPTED", theme["success"]) if sample.accepted else
                        ("REJECTED", theme["error"]))
        details = [("split", f"{sample.split} · line {sample.line}"), ("domain", sample.domain),
                   ("source", sample.source or "—"),
                   ("quality score", "—" if sample.quality_score is None
                    else f"{sample.quality_score:.3f}"), ("key", sample.key)]
        if sample.rejection_reason:
            details.insert(0, ("rejection reason", sample.rejection_reason))
        for name, value in (sample.rejection_details or {}).items():
            details.append((f"  {name}", f"{value:.3f}" if isinstance(value, float)
                            else str(value)))
        if annotation is not None:
            details.append(("your verdict", annotation.decision or "feedback only"))
        if sample.truncated:
            details.append(("note", "a field was longer than 100,000 characters and is cut"))
        fields = [("System", sample.system), ("Instruction", sample.instruction),
                  ("Input", sample.input), ("Output", sample.output)]
        if annotation is not None and annotation.edited is not None:
            fields += [("Edited instruction", annotation.edited[0]),
                       ("Edited input", annotation.edited[1]),
                       ("Edited output", annotation.edited[2])]
        self.view.setHtml(sample_html(fields, badge=badge, badge_color=color, details=details,
                                      dark=bool(getattr(theme, "dark", True))))
        self.feedback.blockSignals(True)
        self.feedback.setPlainText(annotation.feedback if annotation is not None else "")
        self.feedback.blockSignals(False)

    # -- actions -----------------------------------------------------------------------------
    def move(self, step: int) -> None:
        row = self.list.currentRow() + step
        if 0 <= row < self.list.count():
            self.list.setCurrentRow(row)

    def _act(self, action: Any) -> None:
        sample, session = self.current_sample(), self.state.review
        if sample is None or session is None:
            return
        action(session, sample)
        self._changed(sample.key)

    def approve(self) -> None:
        self._act(lambda session, sample: session.approve(sample))

    def reject(self) -> None:
        self._act(lambda session, sample: session.reject(sample))

    def edit(self) -> None:
        sample, session = self.current_sample(), self.state.review
        if sample is None or session is None:
            return
        annotation = session.get(sample.key)
        texts = annotation.edited if annotation and annotation.edited else (
            sample.instruction, sample.input, sample.output)
        dialog = EditDialog(texts, self)
        if dialog.exec():
            session.edit(sample, *dialog.texts())
            self._changed(sample.key)

    def undo(self) -> None:
        session = self.state.review
        key = session.undo() if session is not None else None
        if key is not None:
            self._changed(key)

    def _feedback_changed(self) -> None:
        sample, session = self.current_sample(), self.state.review
        if sample is not None and session is not None:
            session.set_feedback(sample, self.feedback.toPlainText())
            self.save_status.setText("Unsaved changes…")
            if self.state.setting("autosave"):
                self._autosave.start()

    def _changed(self, key: str) -> None:
        self.apply_filters()
        keys = self.visible_keys()
        if key in keys:
            self.list.setCurrentRow(keys.index(key))
        self.save_status.setText("Unsaved changes…")
        if self.state.setting("autosave"):
            self._autosave.start()

    def save_in_background(self) -> None:
        threading.Thread(target=self.state.save_review, name="data-review-save",
                         daemon=True).start()

    def _saved(self, event: Any) -> None:
        session = self.state.review
        if event.error:
            self.save_status.setText(f"Not saved: {event.error}")
        elif session is not None and not session.dirty:
            path = session.store.path
            self.save_status.setText(f"Saved to {path.name}" if event.saved else
                                     f"{path.name} changed on disk: reloaded")
            if not event.saved:
                self.apply_filters()

    # -- near-duplicates ---------------------------------------------------------------------
    def _toggle_near(self, on: bool) -> None:
        sample = self.current_sample()
        if not on or sample is None or self.dataset is None:
            self._near_keys = None
            self.apply_filters()
            return
        self._near_key = sample.key
        self.count_label.setText("Looking for near-duplicates…")
        self.state.find_near_duplicates(sample.key)  # a job; NearDuplicatesFound comes back

    def _near_done(self, event: Any) -> None:
        if event.key != self._near_key or event.dataset is not self.dataset \
                or not self.near_button.isChecked():
            return  # an answer to an older question
        if event.error:
            self.count_label.setText(f"Near-duplicates: {event.error}")
            return
        self._near_keys = frozenset(key for key, _ in event.matches)
        self.apply_filters()


class _ReviewKeys(QObject):
    """j/k/a/r/e/u keys on the list and the sample (not in text fields)."""

    def __init__(self, view: ReviewView) -> None:
        super().__init__(view)
        self.view = view

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        key, modifiers = event.key(), event.modifiers()
        if key == Qt.Key.Key_Z and modifiers & Qt.KeyboardModifier.ControlModifier:
            self.view.undo()
            return True
        if modifiers & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        actions = {Qt.Key.Key_J: lambda: self.view.move(1),
                   Qt.Key.Key_K: lambda: self.view.move(-1),
                   Qt.Key.Key_A: self.view.approve, Qt.Key.Key_R: self.view.reject,
                   Qt.Key.Key_E: self.view.edit, Qt.Key.Key_U: self.view.undo}
        action = actions.get(Qt.Key(key))
        if action is None:
            return False
        action()
        return True
