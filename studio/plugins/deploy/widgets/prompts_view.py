"""Prompt sets side by side: one row per prompt, one column per deployment.

Each cell shows pass/fail against the prompt's expectations and the answer's tokens/s; the
answer itself shows below when a cell is selected. A run is a studio job (progress, cancel)
whose answers appear as they come; finished runs are kept per model and can be diffed and
exported as JSON or CSV.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.api import JobUpdated
from studio.plugins.deploy.prompt_runs import (
    CaseResult,
    PromptRun,
    diff_answers,
    export_csv,
    export_json,
    run_prompt_set,
)
from studio.plugins.deploy.prompt_sets import load_prompt_set
from studio.plugins.deploy.widgets.common import DeployEvents, label, manager_of
from studio.shell.api import Background, ViewContext, current_theme, icon

__all__ = ["PromptSetView", "cell_text"]


class _Signals(QObject):
    result = Signal(object)  # CaseResult, from the job thread
    job = Signal(object)  # JobUpdated


def cell_text(result: CaseResult) -> str:
    if result.error:
        return "error"
    verdict = {True: "pass", False: "FAIL", None: "—"}[result.passed]
    rate = result.stats.tokens_per_second if result.stats else None
    return f"{verdict} · {rate:.1f} tok/s" if rate else verdict


class PromptSetView(QWidget):
    def __init__(self, context: ViewContext) -> None:
        super().__init__()
        self.context = context
        self.studio = context.studio
        self.manager = manager_of(context)
        self.prompt_set: Any = None
        self.run: PromptRun | None = None
        self.job: Any = None
        self._columns: list[str] = []
        self._reader = Background(self)
        self._loader = Background(self)
        self._writer = Background(self)
        self._signals = _Signals(self)
        self._signals.result.connect(self._add_result)
        self._signals.job.connect(self._on_job)
        subscription = self.studio.bus.subscribe(JobUpdated.topic, self._signals.job.emit,
                                                 owner="deploy")
        self.destroyed.connect(lambda *_: subscription.unsubscribe())
        self._build()
        self.events = DeployEvents(self.studio, self)
        self.events.deployments_changed.connect(self.reload)
        self.reload()

    def _button(self, glyph: str, text: str, slot: Any, name: str) -> QPushButton:
        button = QPushButton(icon(glyph), text)
        button.setObjectName(f"prompts-{name}")
        button.clicked.connect(slot)
        return button

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        self.setMinimumHeight(280)  # a results table needs a few rows to be readable
        top = QHBoxLayout()
        top.addWidget(self._button("mdi6.folder-open-outline", "Open set…", self.open_set,
                                   "open"))
        self.set_label = label("No prompt set (JSON or YAML)", "muted", wrap=False)
        top.addWidget(self.set_label, 1)
        self.run_button = self._button("mdi6.play", "Run", self.start, "run")
        self.run_button.setProperty("role", "primary")
        self.cancel_button = self._button("mdi6.stop", "Cancel", self.cancel, "cancel")
        self.cancel_button.setEnabled(False)
        top.addWidget(self.run_button)
        top.addWidget(self.cancel_button)
        layout.addLayout(top)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.targets = QListWidget()
        self.targets.setObjectName("prompts-deployments")
        self.targets.setToolTip("Deployments to run the set against (side by side)")
        self.targets.itemChanged.connect(lambda *_: self._update_buttons())
        split.addWidget(self.targets)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, 0)
        self.table.setObjectName("prompts-results")
        self.table.verticalHeader().hide()
        self.table.itemSelectionChanged.connect(self._show_answer)
        right_layout.addWidget(self.table, 1)
        self.summary = label("", "muted")
        right_layout.addWidget(self.summary)
        tools = QHBoxLayout()
        self.left_box, self.right_box = QComboBox(), QComboBox()
        tools.addWidget(label("Diff", "muted", wrap=False))
        tools.addWidget(self.left_box, 1)
        tools.addWidget(self.right_box, 1)
        self.diff_button = self._button("mdi6.compare-horizontal", "Diff", self.diff, "diff")
        tools.addWidget(self.diff_button)
        self.json_button = self._button("mdi6.code-json", "JSON…", self.export_json, "json")
        self.csv_button = self._button("mdi6.file-delimited-outline", "CSV…",
                                       self.export_csv, "csv")
        tools.addWidget(self.json_button)
        tools.addWidget(self.csv_button)
        self.history = QComboBox()
        self.history.setObjectName("prompts-history")
        self.history.setToolTip("Earlier runs of the chosen deployments' models")
        self.history.activated.connect(self._load_history)
        tools.addWidget(self.history, 1)
        right_layout.addLayout(tools)
        split.addWidget(right)
        # The answer beside the table: the dock is usually wide and short (bottom area).
        self.answer = QPlainTextEdit()
        self.answer.setReadOnly(True)
        self.answer.setProperty("role", "mono")
        self.answer.setPlaceholderText("Select a cell to read the answer; Diff compares two "
                                       "deployments' answers.")
        split.addWidget(self.answer)
        split.setSizes([170, 620, 360])
        layout.addWidget(split, 1)
        self._update_buttons()

    # -- inputs --------------------------------------------------------------------------
    def reload(self) -> None:
        def read() -> tuple[list[Any], list[PromptRun]]:
            return self.manager.deployments(), self.manager.history.runs(limit=50)

        self._reader.run(read, self._fill)

    def _fill(self, result: Any, error: Exception | None) -> None:
        if error is not None:
            self.summary.setText(f"Cannot read deployments: {error}")
            return
        deployments, runs = result
        checked = {self.targets.item(i).data(Qt.ItemDataRole.UserRole).id
                   for i in range(self.targets.count())
                   if self.targets.item(i).checkState() == Qt.CheckState.Checked}
        self.targets.blockSignals(True)
        self.targets.clear()
        for deployment in deployments:
            item = QListWidgetItem(deployment.label)
            item.setData(Qt.ItemDataRole.UserRole, deployment)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if deployment.id in checked
                               else Qt.CheckState.Unchecked)
            self.targets.addItem(item)
        self.targets.blockSignals(False)
        self.history.clear()
        self.history.addItem("History…", None)
        for run in runs:
            self.history.addItem(f"{run.set_name} · {', '.join(run.model_ids) or '?'} · "
                                 f"{run.id[:15]}", run)
        self._update_buttons()

    def chosen(self) -> list[Any]:
        return [self.targets.item(i).data(Qt.ItemDataRole.UserRole)
                for i in range(self.targets.count())
                if self.targets.item(i).checkState() == Qt.CheckState.Checked]

    def open_set(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open prompt set", "",
                                              "Prompt sets (*.yaml *.yml *.json)")
        if path:
            self.load_set(Path(path))

    def load_set(self, path: Path) -> None:
        self._loader.run(lambda: load_prompt_set(path), self._set_loaded)

    def _set_loaded(self, prompt_set: Any, error: Exception | None) -> None:
        if error is not None:
            self.set_label.setProperty("role", "error")
            self.set_label.setText(str(error))
        else:
            self.prompt_set = prompt_set
            self.set_label.setProperty("role", "muted")
            self.set_label.setText(f"{prompt_set.name}: {len(prompt_set.cases)} prompts "
                                   f"({prompt_set.source})")
        self.set_label.style().polish(self.set_label)
        self._update_buttons()

    # -- running -------------------------------------------------------------------------
    def start(self) -> None:
        deployments = self.chosen()
        if self.prompt_set is None or not deployments or self.job is not None:
            return
        self._show_run(PromptRun("", self.prompt_set.name, "", 0.0, [
            {"id": d.id, "label": d.label, "model_id": d.model_id} for d in deployments],
            [{"id": c.id, "prompt": c.prompt} for c in self.prompt_set.cases], {}))
        self.job = self.studio.jobs.submit(
            f"Prompt set {self.prompt_set.name}", run_prompt_set, self.manager.generate,
            self.prompt_set, deployments, on_result=self._signals.result.emit)
        self._update_buttons()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _on_job(self, event: JobUpdated) -> None:
        if self.job is None or event.job_id != self.job.id:
            return
        self.summary.setText(event.message)
        if not event.state.finished:
            return
        job, self.job = self.job, None
        if job.result is not None:
            self.manager.history.save(job.result)
            self._show_run(job.result)
            self.reload()
        elif job.error:
            self.summary.setText(f"Run failed: {job.error}")
        self._update_buttons()

    def _show_run(self, run: PromptRun) -> None:
        self.run = run
        self._columns = [d["id"] for d in run.deployments]
        self.table.clear()
        self.table.setRowCount(len(run.cases))
        self.table.setColumnCount(len(self._columns) + 1)
        self.table.setHorizontalHeaderLabels(["Prompt", *(d["label"] for d in
                                                          run.deployments)])
        for row, case in enumerate(run.cases):
            item = QTableWidgetItem(case["id"])
            item.setToolTip(case["prompt"])
            self.table.setItem(row, 0, item)
        for result in run.results:
            self._place(result)
        self.table.resizeColumnsToContents()
        for box in (self.left_box, self.right_box):
            box.clear()
            for deployment in run.deployments:
                box.addItem(deployment["label"], deployment["id"])
        self.right_box.setCurrentIndex(min(1, self.right_box.count() - 1))
        self._summarize()

    def _add_result(self, result: CaseResult) -> None:
        if self.run is not None and self.job is not None:
            self.run.results.append(result)
            self._place(result)
            self._summarize()

    def _place(self, result: CaseResult) -> None:
        assert self.run is not None
        rows = [c["id"] for c in self.run.cases]
        if result.case_id not in rows or result.deployment_id not in self._columns:
            return
        theme = current_theme()
        item = QTableWidgetItem(cell_text(result))
        token = ("error" if result.error or result.passed is False else
                 "success" if result.passed else "text.muted")
        item.setForeground(QColor(theme[token]))
        item.setData(Qt.ItemDataRole.UserRole, result)
        self.table.setItem(rows.index(result.case_id),
                           self._columns.index(result.deployment_id) + 1, item)

    def _summarize(self) -> None:
        if self.run is None:
            return
        parts = []
        for deployment in self.run.deployments:
            s = self.run.summary(deployment["id"])
            rate = s["median_tokens_per_second"]
            parts.append(f"{deployment['label']}: {s['passed']} pass, {s['failed']} fail"
                         + (f", {s['errors']} errors" if s["errors"] else "")
                         + (f", median {rate:.1f} tok/s" if rate else ""))
        self.summary.setText("   |   ".join(parts))

    def _show_answer(self) -> None:
        items = self.table.selectedItems()
        result = items[0].data(Qt.ItemDataRole.UserRole) if items else None
        if isinstance(result, CaseResult):
            notes = result.error or "; ".join(result.failures) or (
                result.stats.summary() if result.stats else "")
            self.answer.setPlainText(f"{result.output}\n\n[{notes}]")

    # -- diff, export, history -----------------------------------------------------------
    def diff(self) -> None:
        if self.run is None:
            return
        diffs = diff_answers(self.run, self.left_box.currentData(),
                             self.right_box.currentData())
        self.answer.setPlainText("\n\n".join(
            f"## {d.case_id}: {'same answer' if d.same else 'different'}\n{d.diff}"
            for d in diffs))

    def _export(self, title: str, pattern: str, writer: Any) -> None:
        if self.run is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, title, f"{self.run.set_name}", pattern)
        if path:
            run = self.run
            self._writer.run(lambda: writer(run, Path(path)), lambda _r, e: self.summary.setText(
                f"Export failed: {e}" if e else f"Exported to {path}"))

    def export_json(self) -> None:
        self._export("Export run as JSON", "JSON (*.json)", export_json)

    def export_csv(self) -> None:
        self._export("Export run as CSV", "CSV (*.csv)", export_csv)

    def _load_history(self, index: int) -> None:
        run = self.history.itemData(index)
        if isinstance(run, PromptRun) and self.job is None:
            self._show_run(run)
            self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.job is not None
        self.run_button.setEnabled(not running and self.prompt_set is not None
                                   and bool(self.chosen()))
        self.cancel_button.setEnabled(running)
        for button in (self.diff_button, self.json_button, self.csv_button):
            button.setEnabled(not running and self.run is not None and bool(self.run.results))
