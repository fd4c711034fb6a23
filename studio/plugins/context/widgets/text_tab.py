"""One text file in the editor: highlighting, validation as you type, atomic save, disk changes.

Loading, validating big texts and saving run on worker threads. The file is watched
(``studio.watcher``); when its content changes on disk a banner offers Reload, Merge (a 3-way
merge with the version opened as base; conflicts marked) or Keep editing. A save that hafs's
rules refuse, or that would overwrite an unseen change, writes nothing and says why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.plugins.context.document import (
    ExternalChangeError,
    SaveRefusedError,
    TextDocument,
)
from studio.plugins.context.highlight import lexer_for
from studio.plugins.context.validate import Problem, language_of, strict_kind, validate_text
from studio.plugins.context.widgets.code_editor import CodeEditor
from studio.plugins.context.widgets.common import Workers, editor_font, subscribe_theme
from studio.plugins.context.widgets.find_bar import FindBar
from studio.plugins.context.widgets.highlighter import PygmentsHighlighter

__all__ = ["TextTab"]

VALIDATE_MS = 300
SYNC_VALIDATE_CHARS = 64 * 1024  # below: validated on the GUI thread (under a millisecond)


class Banner(QWidget):
    """A coloured strip with a message and buttons (disk changes, refused saves)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contextBanner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._buttons = QHBoxLayout()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        layout.addLayout(self._buttons)
        self.hide()

    def show_message(self, text: str, kind: str, buttons: tuple[tuple[str, Any], ...] = ()
                     ) -> None:
        from studio.plugins.context.widgets.common import colour

        self.label.setText(text)
        tint = colour(kind, 48)
        self.setStyleSheet(f"#contextBanner {{ background: rgba({tint.red()}, {tint.green()}, "
                           f"{tint.blue()}, 0.2); border-bottom: 1px solid "
                           f"{colour(kind).name()}; }}")
        while self._buttons.count():
            item = self._buttons.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        for title, slot in buttons:
            button = QPushButton(title)
            button.setObjectName(f"banner:{title}")
            button.clicked.connect(slot)
            self._buttons.addWidget(button)
        dismiss = QPushButton("Dismiss")
        dismiss.clicked.connect(self.hide)
        self._buttons.addWidget(dismiss)
        self.show()


class TextTab(QWidget):
    """An editable text file."""

    dirty_changed = Signal(bool)
    loaded = Signal()
    saved = Signal(str)  # path
    validated = Signal(object)  # list[Problem]
    disk_changed = Signal()

    def __init__(self, studio: Any, path: str | Path, parent: QWidget | None = None,
                 *, limit: int | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.path = Path(path)
        self.document: TextDocument | None = None
        self.problems: list[Problem] = []
        self.error = ""
        self.language = language_of(self.path)
        self.strict = strict_kind(self.path)
        self._workers = Workers(self, max_workers=1, name="context-text")
        self._validate_timer = QTimer(self, singleShot=True, interval=VALIDATE_MS)
        self._validate_timer.timeout.connect(self.validate)
        self._saving = False
        self._watch: Any = None

        self.editor = CodeEditor()
        self.editor.setFont(editor_font(studio))
        self.editor.setPlaceholderText("Loading…")
        self.editor.setReadOnly(True)
        self.highlighter: PygmentsHighlighter | None = None
        self.find_bar = FindBar(self.editor)
        self.find_bar.hide()
        self.banner = Banner()
        self.status = QLabel("")
        self.status.setProperty("role", "muted")
        self.problem_label = QLabel("")
        self.problem_label.setObjectName("problemLabel")
        self.problem_label.setCursor(Qt.CursorShape.PointingHandCursor)
        self.problem_label.mousePressEvent = lambda _e: self.jump_to_problem()
        self.goto = QLineEdit()
        self.goto.setPlaceholderText("Line[:column]")
        self.goto.setMaximumWidth(110)
        self.goto.returnPressed.connect(self._go)
        self.goto.hide()
        bottom = QHBoxLayout()
        bottom.setContentsMargins(6, 2, 6, 2)
        bottom.addWidget(self.problem_label, 1)
        bottom.addWidget(self.goto)
        bottom.addWidget(self.status)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.find_bar)
        layout.addLayout(bottom)

        shortcuts = {"Ctrl+S": self.save, "Ctrl+F": lambda: self.find_bar.open_bar(False),
                     "Ctrl+H": lambda: self.find_bar.open_bar(True), "Ctrl+G": self.open_goto,
                     "F3": self.find_bar.find}
        for keys, slot in shortcuts.items():
            QShortcut(QKeySequence(keys), self, slot,
                      context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.editor.modificationChanged.connect(self.dirty_changed.emit)
        self.editor.cursorPositionChanged.connect(self._update_status)
        self.editor.textChanged.connect(self._text_changed)
        subscribe_theme(studio, self, self._theme_changed)
        self._bridge = _WatchBridge(self)
        self._bridge.changed.connect(self._check_disk)
        self.destroyed.connect(lambda *_, bridge=self._bridge: bridge.cancel())
        self._load(limit)

    # -- loading -----------------------------------------------------------------------------
    def _load(self, limit: int | None) -> None:
        path = self.path

        def work() -> TextDocument:
            if not path.exists():
                return TextDocument.new(path)
            return TextDocument.load(path) if limit is None else TextDocument.load(path, limit)

        self._workers.run(work, self._loaded)

    def _loaded(self, document: TextDocument | None, error: Exception | None) -> None:
        if error is not None or document is None:
            self.error = str(error)
            self.editor.setPlaceholderText(f"Cannot open: {error}")
            self.loaded.emit()
            return
        self.document = document
        self.editor.setPlainText(document.base_text)
        self.editor.document().setModified(False)
        self.editor.setReadOnly(False)
        self.editor.setPlaceholderText("")
        lexer = lexer_for(self.path)
        self.highlighter = PygmentsHighlighter(self.editor, lexer)
        self._bridge.watch(self.studio, self.path)
        self._update_status()
        self.validate()
        self.loaded.emit()

    @property
    def dirty(self) -> bool:
        return self.editor.document().isModified()

    def text(self) -> str:
        return self.editor.toPlainText()

    # -- validation --------------------------------------------------------------------------
    def _text_changed(self) -> None:
        if self.document is not None and (self.language or self.strict):
            self._validate_timer.start()

    def validate(self) -> None:
        """Check the text now (on a worker for big texts); ``validated`` carries the result."""
        if self.document is None or not (self.language or self.strict):
            self._show_problems([])
            return
        text, path = self.text(), self.path
        if len(text) <= SYNC_VALIDATE_CHARS:
            self._show_problems(validate_text(path, text))
            return
        revision = self.editor.document().revision()

        def done(problems: list[Problem] | None, error: Exception | None) -> None:
            if revision == self.editor.document().revision():
                self._show_problems(problems or [])

        self._workers.run(lambda: validate_text(path, text), done, key="validate")

    def _show_problems(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.editor.set_problems(problems)
        if not problems:
            self.problem_label.setText("✓ valid" if (self.language or self.strict) else "")
            self.problem_label.setProperty("role", "muted")
        else:
            first = problems[0]
            more = f"  (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            prefix = {"refuse": "hafs would drop data: ", "warning": "warning: "}.get(
                first.severity, "")
            self.problem_label.setText(f"{prefix}{first}{more}")
            self.problem_label.setProperty("role", "warning" if all(
                p.severity == "warning" for p in problems) else "error")
        self.problem_label.style().unpolish(self.problem_label)
        self.problem_label.style().polish(self.problem_label)
        self.validated.emit(problems)

    def jump_to_problem(self) -> None:
        problem = next((p for p in self.problems if p.line), None)
        if problem is not None:
            self.editor.go_to(problem.line, problem.column or 1)

    # -- status, go to line ------------------------------------------------------------------
    def _update_status(self) -> None:
        cursor = self.editor.textCursor()
        doc = self.document
        parts = []
        if doc is not None:
            parts.append(doc.encoding.upper())
            parts.append({"\n": "LF", "\r\n": "CRLF", "\r": "CR"}[doc.newline])
        parts.append(f"Ln {cursor.blockNumber() + 1}, Col {cursor.positionInBlock() + 1}")
        self.status.setText("  ·  ".join(parts))

    def open_goto(self) -> None:
        self.goto.show()
        self.goto.setFocus()
        self.goto.selectAll()

    def _go(self) -> None:
        text = self.goto.text().strip()
        try:
            line, _, column = text.partition(":")
            ok = self.editor.go_to(int(line), int(column or 1))
        except ValueError:
            ok = False
        if ok:
            self.goto.hide()
        else:
            self.goto.selectAll()

    # -- saving ------------------------------------------------------------------------------
    def save(self, *, overwrite_external: bool = False) -> None:
        """Save on a worker; refusals and unseen disk changes show in the banner."""
        if self.document is None or self._saving:
            return
        self._saving = True
        text, document = self.text(), self.document
        revision = self.editor.document().revision()
        self._bridge.pause()

        def done(_result: Any, error: Exception | None) -> None:
            self._saving = False
            self._bridge.resume()
            if isinstance(error, SaveRefusedError):
                self.banner.show_message(
                    f"Not saved: hafs would drop data. {error.problems[0]}", "error",
                    (("Go to problem", lambda: self.editor.go_to(
                        error.problems[0].line or 1, error.problems[0].column or 1)),))
                return
            if isinstance(error, ExternalChangeError):
                self._offer_reload(f"Not saved: {error}")
                return
            if error is not None:
                self.banner.show_message(f"Not saved: {error}", "error")
                return
            if revision == self.editor.document().revision():
                self.editor.document().setModified(False)
            self.banner.hide()
            self.saved.emit(str(self.path))

        self._workers.run(lambda: document.save(text, overwrite_external=overwrite_external),
                          done)

    # -- disk changes ------------------------------------------------------------------------
    def _check_disk(self) -> None:
        document = self.document
        if document is None or self._saving:
            return
        self._workers.run(document.changed_on_disk,
                          lambda changed, _error: self._offer_reload(
                              f"{self.path.name} changed on disk.") if changed else None,
                          key="disk")

    def _offer_reload(self, message: str) -> None:
        buttons: list[tuple[str, Any]] = [("Reload", self.reload)]
        if self.dirty:
            buttons.append(("Merge", self.merge))
            buttons.append(("Overwrite", lambda: self.save(overwrite_external=True)))
            message += " You have unsaved changes: merge them with the file (3-way), reload " \
                       "(dropping yours) or overwrite it."
        self.banner.show_message(message, "warning", tuple(buttons))
        self.disk_changed.emit()

    def reload(self) -> None:
        document = self.document
        if document is None:
            return

        def done(text: str | None, error: Exception | None) -> None:
            if error is not None or text is None:
                self.banner.show_message(f"Cannot reload: {error}", "error")
                return
            self._replace_text(text, modified=False)
            self.banner.hide()

        self._workers.run(document.reload, done)

    def merge(self) -> None:
        document = self.document
        if document is None:
            return
        mine = self.text()

        def done(result: Any, error: Exception | None) -> None:
            if error is not None:
                self.banner.show_message(f"Cannot merge: {error}", "error")
                return
            self._replace_text(result.text, modified=True)
            if result.conflicts:
                self.banner.show_message(
                    f"Merged with {result.conflicts} conflict(s), marked <<<<<<< … >>>>>>>; "
                    "resolve them and save.", "warning")
            else:
                self.banner.show_message("Merged cleanly with the file on disk; save to keep "
                                         "it.", "info")

        self._workers.run(lambda: document.merge(mine), done)

    def _replace_text(self, text: str, *, modified: bool) -> None:
        # One undo step, so a reload or merge can be undone.
        cursor = self.editor.textCursor()
        position = cursor.position()
        cursor.beginEditBlock()
        cursor.select(cursor.SelectionType.Document)
        cursor.insertText(text)
        cursor.endEditBlock()
        cursor.setPosition(min(position, len(text)))
        self.editor.setTextCursor(cursor)
        self.editor.document().setModified(modified)
        self.validate()

    def _theme_changed(self) -> None:
        if self.highlighter is not None:
            self.highlighter.update_colours()
        self.editor.set_problems(self.problems)
        self.editor.viewport().update()


class _WatchBridge(QWidget):
    """The file watcher calls from its thread; this hops to the GUI thread."""

    changed = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.hide()
        self._handle: Any = None
        self._paused = False

    def watch(self, studio: Any, path: Path) -> None:
        self.cancel()
        self._handle = studio.watcher.watch(path, lambda _p: self.changed.emit()
                                            if not self._paused else None)

    def pause(self) -> None:
        self._paused = True

    def resume(self) -> None:
        if self._handle is not None:
            self._handle.acknowledge()  # our own write is not a change
        self._paused = False

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

