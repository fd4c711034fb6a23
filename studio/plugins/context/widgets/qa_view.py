"""Expert Q&A: today's batch as hafs ranks it, the question with its code, answer or skip.

Reads run on a worker (hafs may be rewriting the files; reads retry); answering and skipping
write hafs's files atomically. Question text and answer variations need a language model: the
view says plainly that none is deployed and generates nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.plugins.context.api import context_service
from studio.plugins.context.highlight import lexer_for
from studio.plugins.context.qa import QASnapshot, Question
from studio.plugins.context.widgets.code_editor import CodeEditor
from studio.plugins.context.widgets.common import (
    ViewContext,
    Workers,
    editor_font,
    icon,
    muted_label,
)
from studio.plugins.context.widgets.highlighter import PygmentsHighlighter

__all__ = ["NO_MODEL", "QAView"]

NO_MODEL = ("No language model is deployed, so the studio cannot write question text or "
            "turn answers into training samples (deploy one in the Deploy workspace). Your "
            "answers are saved for hafs all the same.")
_MARKS = {"answered": "✓", "skipped": "-", "pending": "○"}


class _Relay(QObject):
    done = Signal(object)


class QAView(QWidget):
    refreshed = Signal(object)  # QASnapshot
    answered = Signal(str)
    skipped = Signal(str)
    scanned = Signal(object)  # ScanResult
    _file_changed = Signal()  # a watched Q&A file changed (from the watcher's thread)

    def __init__(self, context: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contextQA")
        self.context = context
        self.studio = context.studio
        self.service = context_service(self.studio)
        self.store = self.service.qa_store()
        self.snapshot: QASnapshot | None = None
        self.batch: list[Question] = []
        self._workers = Workers(self, max_workers=1, name="context-qa")

        self.stats_label = QLabel("Loading…")
        self.stats_label.setObjectName("qaStats")
        self.model_note = muted_label(NO_MODEL)
        self.model_note.setObjectName("qaModelNote")
        refresh = QPushButton(icon("mdi6.refresh"), "")
        refresh.setToolTip("Reload hafs's Q&A files")
        refresh.clicked.connect(self.refresh)
        scan = QPushButton(icon("mdi6.file-search-outline"), "Scan source tree…")
        scan.setToolTip("qa-scan: find code patterns with hafs's rules")
        scan.clicked.connect(self.choose_scan)
        top = QHBoxLayout()
        top.addWidget(self.stats_label, 1)
        top.addWidget(scan)
        top.addWidget(refresh)

        self.questions = QListWidget()
        self.questions.setObjectName("qaQuestions")
        self.questions.setWordWrap(True)
        self.questions.setMinimumWidth(240)
        self.questions.currentRowChanged.connect(self._show_question)
        self.title = QLabel("")
        self.title.setObjectName("qaQuestionText")
        self.title.setWordWrap(True)
        self.title.setProperty("role", "subheading")
        self.meta = muted_label("")
        self.code = CodeEditor()
        self.code.setReadOnly(True)
        self.code.setFont(editor_font(self.studio))
        self.code_highlighter: PygmentsHighlighter | None = None
        self.answer = QPlainTextEdit()
        self.answer.setObjectName("qaAnswer")
        self.answer.setPlaceholderText("Your answer (saved to answered_questions.json for "
                                       "hafs)")
        self.save_button = QPushButton(icon("mdi6.content-save-outline"), "Save answer")
        self.save_button.setProperty("primary", True)
        self.save_button.clicked.connect(self.save_answer)
        self.skip_button = QPushButton(icon("mdi6.skip-next-outline"), "Skip")
        self.skip_button.clicked.connect(self.skip_current)
        generate = QPushButton(icon("mdi6.robot-outline"), "Generate variations")
        generate.setEnabled(False)
        generate.setToolTip(NO_MODEL)
        self.message = muted_label("")
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(generate)
        buttons.addWidget(self.skip_button)
        buttons.addWidget(self.save_button)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.title)
        right_layout.addWidget(self.meta)
        right_layout.addWidget(self.code, 3)
        right_layout.addWidget(self.answer, 2)
        right_layout.addLayout(buttons)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.questions)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.model_note)
        layout.addWidget(splitter, 1)
        self._scan_relay = _Relay(self)
        self._scan_relay.done.connect(self._scan_done)
        self._watches = [self.studio.watcher.watch(path, lambda _p: self._file_changed.emit())
                         for path in (self.store.questions_file, self.store.answered_file,
                                      self.store.skipped_file)]
        self._file_changed.connect(self.refresh)
        self.destroyed.connect(lambda *_, w=self._watches: [h.cancel() for h in w])
        self.refresh()

    # -- reading -----------------------------------------------------------------------------
    def refresh(self) -> None:
        store = self.store

        def work() -> tuple[QASnapshot, list[Question]]:
            batch = store.today_batch()  # hafs creates today's batch when it is missing
            snapshot = store.snapshot()
            return snapshot, batch.questions if batch else []

        self._workers.run(work, self._refreshed, key="refresh")

    def _refreshed(self, result: tuple[QASnapshot, list[Question]] | None,
                   error: Exception | None) -> None:
        if error is not None or result is None:
            self.stats_label.setText(f"Cannot read the Q&A files: {error}")
            return
        current = self.current_question()
        self.snapshot, self.batch = result
        stats = self.snapshot.stats
        self.stats_label.setText(
            f"<b>{stats.total_questions}</b> questions · {stats.answered_count} answered · "
            f"{stats.skipped_count} skipped · {stats.pending_count} pending · "
            f"avg answer {stats.answer_word_count_avg:.0f} words · progress "
            f"{stats.overall_progress:.0%}")
        self.questions.blockSignals(True)
        self.questions.clear()
        for number, question in enumerate(self.batch, 1):
            status = self.snapshot.status(question.id)
            item = QListWidgetItem(f"{_MARKS[status]} {number}. {question.text or question.id}")
            item.setData(Qt.ItemDataRole.UserRole, question.id)
            item.setToolTip(f"{question.id} · {question.difficulty} · priority "
                            f"{question.priority:.2f} · {status}")
            self.questions.addItem(item)
        self.questions.blockSignals(False)
        if not self.batch:
            self.title.setText("No pending questions in today's batch. Scan a source tree to "
                               "find patterns worth asking about.")
            self.meta.setText("")
            self.code.setPlainText("")
        row = next((i for i, q in enumerate(self.batch) if current and q.id == current.id), 0)
        if self.batch:
            self.questions.setCurrentRow(row)
            self._show_question(row)
        if self.snapshot.warnings:
            self.message.setText("; ".join(self.snapshot.warnings[:3]))
        self.refreshed.emit(self.snapshot)

    def current_question(self) -> Question | None:
        row = self.questions.currentRow()
        return self.batch[row] if 0 <= row < len(self.batch) else None

    def _show_question(self, row: int) -> None:
        if not 0 <= row < len(self.batch):
            return
        question = self.batch[row]
        pattern = question.pattern
        status = self.snapshot.status(question.id) if self.snapshot else "pending"
        self.title.setText(question.text or "(this question has no text)")
        self.meta.setText(f"{question.id} · {question.data['question_type']} · "
                          f"{question.difficulty} · priority {question.priority:.2f} · "
                          f"{pattern['pattern_type']} · {pattern['file_path']}:"
                          f"{pattern['line_number']} · {status}")
        context = str(pattern.get("context", ""))
        first = max(1, int(pattern["line_number"]) - 5)
        self.code.first_line_number = first
        self.code.setPlainText(context)
        self.code_highlighter = PygmentsHighlighter(self.code, lexer_for(
            Path(str(pattern["file_path"]))) or "ca65")
        self.code.go_to(int(pattern["line_number"]))
        answered = status == "answered"
        self.save_button.setEnabled(not answered)
        self.answer.setReadOnly(answered)
        self.answer.setPlainText(self._answer_text(question.id) if answered else "")

    def _answer_text(self, question_id: str) -> str:
        for record in self.snapshot.answered if self.snapshot else []:
            if str(record["question"]["question_id"]) == question_id:
                return str(record.get("answer", ""))
        return ""

    # -- writing -----------------------------------------------------------------------------
    def save_answer(self) -> None:
        question = self.current_question()
        text = self.answer.toPlainText()
        if question is None:
            return
        if not text.strip():
            self.message.setText("Type an answer first.")
            return
        store = self.store

        def done(record: Any, error: Exception | None) -> None:
            if error is not None:
                self.message.setText(f"Not saved: {error}")
                return
            self.message.setText(f"Answer saved ({record['answer_word_count']} words). "
                                 "No training samples were generated: no model is deployed.")
            self.answered.emit(question.id)
            self.refresh()

        self._workers.run(lambda: store.answer(question.id, text), done)

    def skip_current(self) -> None:
        question = self.current_question()
        if question is None:
            return
        store = self.store

        def done(_result: Any, error: Exception | None) -> None:
            if error is not None:
                self.message.setText(f"Not skipped: {error}")
                return
            self.message.setText(f"Skipped {question.id}")
            self.skipped.emit(question.id)
            self.refresh()

        self._workers.run(lambda: store.skip(question.id), done)

    # -- scanning ----------------------------------------------------------------------------
    def choose_scan(self) -> Any:
        dialog = QFileDialog(self, "Scan a source tree for expert questions")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.fileSelected.connect(self.scan)
        dialog.open()
        return dialog

    def scan(self, path: str) -> Any:
        """Run qa-scan as a job; the patterns are recorded, question text needs a model."""
        from studio.plugins.context.qa_scan import scan_tree

        job = self.studio.jobs.submit(f"QA scan of {Path(path).name}",
                                      lambda ctx: scan_tree(path, ctx=ctx))
        job.future.add_done_callback(lambda _f: self._scan_relay.done.emit(job))
        self.message.setText(f"Scanning {path}…")
        return job

    def _scan_done(self, job: Any) -> None:
        if job.error or job.result is None:
            self.message.setText(f"Scan failed: {job.error or job.state.value}")
            return
        result = job.result
        import datetime as dt

        record = self.service.state_dir / "qa-scans" / (
            dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f") + ".json")
        self._workers.run(lambda: result.save(record), lambda *_: None)
        self.message.setText(
            f"Found {len(result.patterns)} patterns in {result.files} files; the top "
            f"{len(result.top)} are recorded in {record}. Question text needs a model, and "
            "none is deployed: no questions were added.")
        self.scanned.emit(result)
