"""A QSyntaxHighlighter driven by Pygments (:mod:`studio.plugins.context.highlight`).

The whole text is lexed on a worker thread (debounced after edits), so multi-line strings and
comments come out right and typing never waits for Pygments. Formats are applied lazily: only
blocks on screen are re-highlighted when a new lexing lands (each block records the lexing it
shows in its user data, so re-highlighting one never cascades through the document). A line
just typed is lexed on its own at once until the next full lexing replaces it.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFont, QSyntaxHighlighter, QTextBlockUserData, QTextCharFormat
from PySide6.QtWidgets import QPlainTextEdit

from studio.plugins.context.highlight import CATEGORY_COLOURS, LineSpans, lex_line, lex_lines
from studio.plugins.context.widgets.common import Workers, colour

__all__ = ["PygmentsHighlighter"]

FULL_LEX_LIMIT = 2 * 1024 * 1024  # characters; above, lines are lexed one by one when shown
DEBOUNCE_MS = 250


class _Applied(QTextBlockUserData):
    def __init__(self, generation: int) -> None:
        super().__init__()
        self.generation = generation


class PygmentsHighlighter(QSyntaxHighlighter):
    lexed = Signal(int)  # generation (tests wait on it)

    def __init__(self, editor: QPlainTextEdit, lexer: str | None) -> None:
        super().__init__(editor.document())
        self.editor = editor
        self.lexer = lexer
        self.generation = 0
        self._lines: list[LineSpans] = []
        self._revision = -1  # the document revision self._lines was lexed from
        self._formats: dict[str, QTextCharFormat] = {}
        self._workers = Workers(self, max_workers=1, name="context-lexer")
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.relex)
        self._visible_timer = QTimer(self, singleShot=True, interval=0)
        self._visible_timer.timeout.connect(self._refresh_visible)
        self.update_colours()
        editor.document().contentsChange.connect(self._changed)
        editor.updateRequest.connect(lambda *_: self._visible_timer.start())
        if lexer:
            self.relex()

    # -- colours -----------------------------------------------------------------------------
    def update_colours(self) -> None:
        self._formats = {}
        for category, (token, bold, italic) in CATEGORY_COLOURS.items():
            fmt = QTextCharFormat()
            fmt.setForeground(colour(token))
            if bold:
                fmt.setFontWeight(QFont.Weight.Bold)
            fmt.setFontItalic(italic)
            self._formats[category] = fmt
        self.generation += 1
        self._visible_timer.start()

    # -- lexing ------------------------------------------------------------------------------
    def relex(self) -> None:
        if not self.lexer:
            return
        text = self.editor.document().toPlainText()
        lexer = self.lexer
        if len(text) > FULL_LEX_LIMIT:
            self._lines = []  # big text: line by line, when shown
            self.generation += 1
            self._visible_timer.start()
            self.lexed.emit(self.generation)
            return
        revision = self.editor.document().revision()
        self._workers.run(lambda: lex_lines(text, lexer),
                          lambda lines, error: self._landed(lines, error, revision),
                          key="lex")

    def _landed(self, lines: list[LineSpans] | None, error: Exception | None,
                revision: int) -> None:
        if error is not None or lines is None:
            return
        if revision != self.editor.document().revision():
            return  # typed meanwhile: the debounced lexing of the new text follows
        self._lines = lines
        self._revision = revision
        self.generation += 1
        self._refresh_visible()
        self.lexed.emit(self.generation)

    def _changed(self, _position: int, removed: int, added: int) -> None:
        if self.lexer and (removed or added):
            self._timer.start()

    # -- applying ----------------------------------------------------------------------------
    def _refresh_visible(self) -> None:
        block = self.editor.firstVisibleBlock()
        bottom = self.editor.viewport().height()
        offset = self.editor.contentOffset()
        while block.isValid():
            geometry = self.editor.blockBoundingGeometry(block).translated(offset)
            if geometry.top() > bottom + 200:
                break
            data = block.userData()
            if not isinstance(data, _Applied) or data.generation != self.generation:
                self.rehighlightBlock(block)
            block = block.next()

    def highlightBlock(self, text: str) -> None:
        if not self.lexer:
            return
        block = self.currentBlock()
        if not self._visible(block):
            return  # highlighted when it scrolls into view (its user data is stale)
        number = block.blockNumber()
        if self._revision != self.editor.document().revision() or number >= len(self._lines):
            # an edit waits for the next full lexing (line numbers may have shifted), or the
            # text is too big to lex whole: this line alone
            spans = lex_line(text, self.lexer)
        else:
            spans = self._lines[number]
        for start, length, category in spans:
            fmt = self._formats.get(category)
            if fmt is not None:
                self.setFormat(start, length, fmt)
        self.setCurrentBlockUserData(_Applied(self.generation))

    def _visible(self, block: object) -> bool:
        editor = self.editor
        first = editor.firstVisibleBlock().blockNumber()
        lines_on_screen = max(1, editor.viewport().height() // max(1, editor.fontMetrics()
                                                                    .height()))
        number = block.blockNumber()
        return first - 5 <= number <= first + lines_on_screen + 10
