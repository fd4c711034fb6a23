"""One binary file: hex view, go to offset, byte/text search as a job, decoded values, structure.

The structure panel lists the GGUF or safetensors regions (parsed on a worker); clicking a
region selects its bytes, clicking a byte shows its region. Search runs as a studio job
(progress here and in the Jobs view, Cancel). "Edit a copy…" copies the file (a job) and opens
the copy in edit mode; the original is never opened writable.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.plugins.context.binfile import BinaryFile, decode_values, find_bytes, parse_needle
from studio.plugins.context.listing import format_size
from studio.plugins.context.structure import Layout, LayoutError, detect_layout
from studio.plugins.context.widgets.common import Workers, editor_font, icon, muted_label
from studio.plugins.context.widgets.hex_view import HexView, region_colour

__all__ = ["HexTab"]

SELECTION_DECODE_LIMIT = 8


class _JobRelay(QObject):
    finished = Signal(object)  # the Job


class HexTab(QWidget):
    layout_ready = Signal(object)  # Layout | None
    search_done = Signal(object)  # offset or -1 (offsets may exceed int32)

    def __init__(self, studio: Any, path: str | Path, parent: QWidget | None = None, *,
                 writable: bool = False, original: Path | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.path = Path(path)
        self.original = original
        self.error = ""
        self.file: BinaryFile | None = None
        self.layout_info: Layout | None = None
        self.search_job: Any = None
        self._workers = Workers(self, max_workers=1, name="context-hex")
        self._relay = _JobRelay(self)
        self._relay.finished.connect(self._search_finished)
        self.view = HexView()
        self.view.set_font(editor_font(studio))
        try:
            self.file = BinaryFile(self.path, writable=writable)
        except OSError as exc:
            self.error = f"{self.path}: {exc.strerror or exc}"
        self.view.set_file(self.file)

        self.offset_field = QLineEdit()
        self.offset_field.setPlaceholderText("Go to offset (0x1f0, 496)")
        self.offset_field.setMaximumWidth(190)
        self.offset_field.returnPressed.connect(self._go_to_offset)
        self.search_field = QLineEdit()
        self.search_field.setPlaceholderText("Search bytes (47 47 55 46) or text")
        self.search_field.returnPressed.connect(lambda: self.search(backwards=False))
        self.search_mode = QComboBox()
        self.search_mode.addItems(["hex", "text"])
        previous = QPushButton(icon("mdi6.chevron-up"), "")
        previous.setToolTip("Previous match")
        previous.clicked.connect(lambda: self.search(backwards=True))
        following = QPushButton(icon("mdi6.chevron-down"), "")
        following.setToolTip("Next match")
        following.clicked.connect(lambda: self.search(backwards=False))
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(120)
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_search)
        self.cancel_button.hide()
        self.edit_button = QPushButton(icon("mdi6.pencil-outline"), "Edit a copy…")
        self.edit_button.setToolTip("Copy the file and edit the copy's bytes; the original is "
                                    "never changed")
        self.edit_button.clicked.connect(self.start_edit_copy)
        self.edit_button.setVisible(not writable)
        self.message = muted_label("")
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 4)
        for widget in (self.offset_field, self.search_field, self.search_mode, previous,
                       following, self.progress, self.cancel_button, self.edit_button):
            bar.addWidget(widget)
        bar.setStretch(1, 1)

        self.banner = QLabel("")
        self.banner.setWordWrap(True)
        self.banner.setProperty("role", "warning")
        self.banner.setVisible(writable)
        if writable:
            self.banner.setText(f"EDIT MODE: typing hex digits changes {self.path} (a copy"
                                f"{' of ' + str(original) if original else ''}). Ctrl+S "
                                "flushes the changes to disk; the original is untouched.")
            QShortcut(QKeySequence("Ctrl+S"), self, self.flush,
                      context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

        self.structure = QTreeWidget()
        self.structure.setObjectName("structureTree")
        self.structure.setHeaderLabels(["Region", "Offset", "Size"])
        self.structure.setUniformRowHeights(True)
        self.structure.itemClicked.connect(self._region_clicked)
        self.region_label = QLabel("")
        self.region_label.setObjectName("regionLabel")
        self.region_label.setWordWrap(True)
        self.region_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.values = QTableWidget(0, 3)
        self.values.setObjectName("decodedValues")
        self.values.verticalHeader().hide()
        # The side panel is narrow beside the hex columns: every column as wide as its values
        # (never "1,751,…"), short headers explained by their tooltips, scrolled when needed.
        self.values.setHorizontalHeaderLabels(["Type", "LE", "BE"])
        for column, tip in ((1, "Little endian (GGUF and safetensors are little endian)"),
                            (2, "Big endian")):
            self.values.horizontalHeaderItem(column).setToolTip(tip)
        self.values.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(QLabel("Structure"))
        side_layout.addWidget(self.structure, 3)
        side_layout.addWidget(self.region_label)
        side_layout.addWidget(QLabel("Values at the selection"))
        side_layout.addWidget(self.values, 2)
        splitter = QSplitter()
        splitter.addWidget(self.view)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.banner)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message)
        QShortcut(QKeySequence("Ctrl+G"), self, self.offset_field.setFocus,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence("Ctrl+F"), self, self.search_field.setFocus,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.view.selection_changed.connect(self._selection_changed)
        self._progress_timer = QTimer(self, interval=100)
        self._progress_timer.timeout.connect(self._poll_progress)
        self.message.setText(self.error or f"{format_size(self.view.size_bytes)} · "
                             f"{self.view.size_bytes:,} bytes")
        self._selection_changed(0, min(1, self.view.size_bytes))
        if self.file is not None and self.file.size:
            self._load_layout()

    # -- structure ---------------------------------------------------------------------------
    def _load_layout(self) -> None:
        path, view = self.path, self.file.view

        def done(layout: Layout | None, error: Exception | None) -> None:
            if isinstance(error, LayoutError):
                self.message.setText(f"Structure not shown: {error}")
            self.layout_info = layout
            self.view.set_layout(layout)
            self._fill_structure(layout)
            self.layout_ready.emit(layout)

        self._workers.run(lambda: detect_layout(path, view), done)

    def _fill_structure(self, layout: Layout | None) -> None:
        self.structure.clear()
        if layout is None:
            self.structure.setHeaderLabels(["No GGUF or safetensors structure", "", ""])
            return
        groups: dict[str, QTreeWidgetItem] = {}
        titles = {"header": "Header", "length": "Header", "kv": "Metadata (key-value)",
                  "json": "JSON header", "metadata": "JSON header",
                  "tensor_info": "Tensor infos", "padding": "Padding",
                  "tensor_data": "Tensor data"}
        tensors = {id(r): i for i, r in enumerate(layout.named("tensor_data"))}
        for region in layout.regions:
            title = titles.get(region.kind, region.kind)
            group = groups.get(title)
            if group is None:
                group = QTreeWidgetItem([title, "", ""])
                self.structure.addTopLevelItem(group)
                groups[title] = group
            item = QTreeWidgetItem([region.name, f"0x{region.start:x}",
                                    format_size(region.size)])
            item.setData(0, Qt.ItemDataRole.UserRole, region)
            item.setToolTip(0, region.detail)
            item.setBackground(0, region_colour(region, tensors.get(id(region), 0)))
            group.addChild(item)
        for group in groups.values():
            group.setText(2, f"{group.childCount()} items")
        if "Header" in groups:
            groups["Header"].setExpanded(True)
        # Long tensor names must not push the offset and size out of the narrow panel; the
        # full name is in the tooltip and under the panel when a region is clicked.
        for column in (0, 1, 2):
            self.structure.resizeColumnToContents(column)
        self.structure.setColumnWidth(0, min(self.structure.columnWidth(0), 150))

    def _region_clicked(self, item: QTreeWidgetItem) -> None:
        region = item.data(0, Qt.ItemDataRole.UserRole)
        if region is not None:
            self.view.select(region.start, region.end)

    # -- selection ---------------------------------------------------------------------------
    def _selection_changed(self, start: int, end: int) -> None:
        # like a data inspector: every width decoded from the selection's first byte
        data = self.file.read(start, SELECTION_DECODE_LIMIT) if self.file else b""
        values = decode_values(data)
        self.values.setRowCount(len(values))
        for row, value in enumerate(values):
            for column, text in enumerate((value.type, _fmt(value.little), _fmt(value.big))):
                self.values.setItem(row, column, QTableWidgetItem(text))
        region = self.layout_info.at(start) if self.layout_info else None
        if region is None:
            self.region_label.setText(f"Offset {start:,} (0x{start:x}) · {end - start} "
                                      "byte(s) selected")
        else:
            self.region_label.setText(
                f"<b>{region.name}</b> ({region.kind}) · bytes {region.start:,} to {region.end:,}"
                f" (0x{region.start:x} to 0x{region.end:x}) · {region.detail}<br>"
                f"selected: {start:,} (0x{start:x}), {end - start} byte(s)")

    def go_to(self, offset: int) -> None:
        self.view.select(offset)

    def _go_to_offset(self) -> None:
        text = self.offset_field.text().strip().replace("_", "")
        try:
            offset = int(text, 0)
        except ValueError:
            self.message.setText(f"{text!r} is not an offset (e.g. 4096 or 0x1000)")
            return
        if not 0 <= offset < self.view.size_bytes:
            self.message.setText(f"offset {offset} is outside the file "
                                 f"(0 to {self.view.size_bytes - 1})")
            return
        self.go_to(offset)

    # -- search ------------------------------------------------------------------------------
    def search(self, *, backwards: bool = False) -> Any:
        """Start a search job from the selection; returns the job (None on bad input)."""
        if self.file is None or self.file.view is None:
            return None
        try:
            needle = parse_needle(self.search_field.text(), self.search_mode.currentText())
        except ValueError as exc:
            self.message.setText(str(exc))
            return None
        self.cancel_search()
        start, _end = self.view.selection
        origin = start if backwards else start + 1
        view = self.file.view

        def work(ctx: Any) -> int:
            return find_bytes(view, needle, origin, backwards=backwards, ctx=ctx)

        job = self.studio.jobs.submit(f"Search {self.path.name}", work)
        self.search_job = job
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.message.setText("Searching…")
        self._progress_timer.start()
        job.future.add_done_callback(lambda _f, j=job: self._relay.finished.emit(j))
        return job

    def cancel_search(self) -> None:
        if self.search_job is not None and not self.search_job.state.finished:
            self.search_job.cancel()

    def _poll_progress(self) -> None:
        job = self.search_job
        if job is not None and job.fraction is not None:
            self.progress.setValue(int(job.fraction * 1000))

    def _search_finished(self, job: Any) -> None:
        if job is not self.search_job:
            return
        self._progress_timer.stop()
        self.progress.hide()
        self.cancel_button.hide()
        self.search_job = None
        if job.state.value == "cancelled":
            self.message.setText("Search cancelled")
            self.search_done.emit(-1)
            return
        if job.error:
            self.message.setText(f"Search failed: {job.error}")
            self.search_done.emit(-1)
            return
        offset = job.result
        if offset is None or offset < 0:
            self.message.setText("Not found")
            self.search_done.emit(-1)
            return
        needle = parse_needle(self.search_field.text(), self.search_mode.currentText())
        self.view.select(offset, offset + len(needle))
        self.message.setText(f"Found at {offset:,} (0x{offset:x})")
        self.search_done.emit(offset)

    # -- edit mode ---------------------------------------------------------------------------
    def start_edit_copy(self) -> Any:
        suggestion = self.path.with_name(f"{self.path.stem}.edited{self.path.suffix}")
        dialog = QFileDialog(self, "Save an editable copy as", str(suggestion))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(self.make_copy)
        dialog.open()
        return dialog

    def make_copy(self, target: str) -> Any:
        """Copy the file to ``target`` (a job), then open the copy in edit mode."""
        from studio.plugins.context.binfile import make_edit_copy

        source = self.path
        job = self.studio.jobs.submit(f"Copy {source.name} for editing",
                                      lambda ctx: make_edit_copy(source, target, ctx))
        relay = _JobRelay(self)
        relay.finished.connect(self._copy_finished)
        job.future.add_done_callback(lambda _f: relay.finished.emit(job))
        self.message.setText(f"Copying to {target}…")
        return job

    def _copy_finished(self, job: Any) -> None:
        if job.error or job.result is None:
            self.message.setText(f"Copy failed: {job.error or job.state.value}")
            return
        from studio.plugins.context.widgets.actions import show_view

        editor = show_view("context.editor", switch=False)
        if editor is not None:
            editor.open_edit_copy(job.result, self.path)
        self.message.setText(f"Editing the copy {job.result}")

    def close_file(self) -> None:
        """Stop a running search, then unmap the file (a search must not read a closed map)."""
        job = self.search_job
        if job is not None:
            job.cancel()
            if job.future is not None:
                # cancelled or failed: either way it no longer reads the map
                with contextlib.suppress(Exception):
                    job.future.result(timeout=5)
        if self.file is not None:
            self.flush()
            self.file.close()
            self.file = None
            self.view.set_file(None)

    def flush(self) -> None:
        if self.file is not None and self.file.writable:
            self.file.flush()
            self.message.setText(f"Changes written to {self.path}")


def _fmt(value: int | float | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.9g}"
    return f"{value:,}"
