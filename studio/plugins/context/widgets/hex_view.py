"""The hex viewport: offset, hex and ASCII columns painted from a memory map, any file size.

Only the rows on screen are read and painted. A 10 GB file has 625 M rows of 16 bytes; Qt's
scroll bar counts in ``int``, so beyond ``MAX_SCROLL`` rows each scroll step stands for several
rows. Structure regions (GGUF, safetensors) shade the bytes they cover; the region under the
selection is outlined. Bytes change only in a writable (edit-copy) file, by typing hex digits.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeyEvent, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

from studio.plugins.context.binfile import BinaryFile
from studio.plugins.context.structure import Layout, Region
from studio.plugins.context.widgets.common import colour

__all__ = ["BYTES_PER_ROW", "HexView", "region_colour"]

BYTES_PER_ROW = 16
MAX_SCROLL = 1 << 30
_KIND_TOKENS = {"header": "series.0", "length": "series.0", "kv": "series.1",
                "json": "series.1", "metadata": "series.5", "tensor_info": "series.2",
                "padding": "text.muted", "tensor_data": "series.3"}


def region_colour(region: Region, index: int = 0) -> QColor:
    token = _KIND_TOKENS.get(region.kind, "series.4")
    if region.kind == "tensor_data" and index % 2:
        token = "series.7"  # neighbouring tensors alternate
    return colour(token, 70)


class HexView(QAbstractScrollArea):
    selection_changed = Signal(object, object)  # start, end (exclusive); may exceed int32
    edited = Signal(object)  # offset of a byte changed (edit copies only)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("hexView")
        self.file: BinaryFile | None = None
        self.layout_info: Layout | None = None
        self.anchor = 0
        self.cursor = 0
        self._nibble = 0  # edit mode: 0 = high digit next, 1 = low digit
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.verticalScrollBar().valueChanged.connect(lambda _v: self.viewport().update())
        self.set_font(QFont("monospace"))

    # -- content -----------------------------------------------------------------------------
    def set_font(self, font: QFont) -> None:
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.setFont(font)
        self.viewport().setFont(font)
        metrics = QFontMetrics(font)
        self.char_w = metrics.horizontalAdvance("0")
        self.row_h = metrics.height() + 2
        self.ascent = metrics.ascent()
        _, ascii_x, _ = self._columns()
        self.setMinimumWidth(ascii_x + (BYTES_PER_ROW + 3) * self.char_w)
        self._update_scroll()
        self.viewport().update()

    def set_file(self, file: BinaryFile | None) -> None:
        self.file = file
        self.anchor = self.cursor = 0
        self.set_font(self.font())
        self.viewport().update()

    def set_layout(self, layout: Layout | None) -> None:
        self.layout_info = layout
        self.viewport().update()

    @property
    def size_bytes(self) -> int:
        return self.file.size if self.file is not None else 0

    @property
    def rows(self) -> int:
        return -(-self.size_bytes // BYTES_PER_ROW)

    @property
    def rows_per_step(self) -> int:
        return max(1, -(-self.rows // MAX_SCROLL))

    def visible_rows(self) -> int:
        return max(1, self.viewport().height() // self.row_h)

    def _update_scroll(self) -> None:
        bar = self.verticalScrollBar()
        steps = -(-self.rows // self.rows_per_step)
        bar.setRange(0, max(0, steps - self.visible_rows() // self.rows_per_step))
        bar.setPageStep(max(1, self.visible_rows() // self.rows_per_step))
        bar.setSingleStep(1)

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)
        self._update_scroll()

    @property
    def first_row(self) -> int:
        return self.verticalScrollBar().value() * self.rows_per_step

    def scroll_to_row(self, row: int) -> None:
        self.verticalScrollBar().setValue(row // self.rows_per_step)

    # -- geometry ----------------------------------------------------------------------------
    def _columns(self) -> tuple[int, int, int]:
        """x of the hex column, the ASCII column, and the offset column's digits."""
        digits = max(8, len(f"{max(0, self.size_bytes - 1):x}"))
        hex_x = (digits + 2) * self.char_w
        ascii_x = hex_x + (BYTES_PER_ROW * 3 + 2) * self.char_w
        return hex_x, ascii_x, digits

    def _hex_cell_x(self, column: int, hex_x: int) -> int:
        return hex_x + (column * 3 + (1 if column >= 8 else 0)) * self.char_w

    def offset_at(self, point: QPoint) -> int | None:
        hex_x, ascii_x, _ = self._columns()
        row = self.first_row + point.y() // self.row_h
        x = point.x()
        if hex_x <= x < ascii_x - self.char_w:
            rel = (x - hex_x) // self.char_w
            column = (rel - (1 if rel >= 24 else 0)) // 3
        elif ascii_x <= x < ascii_x + BYTES_PER_ROW * self.char_w:
            column = (x - ascii_x) // self.char_w
        else:
            return None
        column = max(0, min(BYTES_PER_ROW - 1, column))
        offset = row * BYTES_PER_ROW + column
        return offset if offset < self.size_bytes else None

    # -- selection ---------------------------------------------------------------------------
    @property
    def selection(self) -> tuple[int, int]:
        start, end = sorted((self.anchor, self.cursor))
        return start, min(self.size_bytes, end + 1)

    def select(self, start: int, end: int | None = None) -> None:
        """Select [start, end) (one byte when ``end`` is None) and scroll to it."""
        if self.size_bytes == 0:
            return
        start = max(0, min(start, self.size_bytes - 1))
        end = start + 1 if end is None else max(start + 1, min(end, self.size_bytes))
        self.anchor, self.cursor = start, end - 1
        self._nibble = 0
        self.ensure_visible(start)
        self.viewport().update()
        self.selection_changed.emit(*self.selection)

    def ensure_visible(self, offset: int) -> None:
        row = offset // BYTES_PER_ROW
        first = self.first_row
        if row < first or row >= first + self.visible_rows() - 1:
            self.scroll_to_row(max(0, row - self.visible_rows() // 3))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        offset = self.offset_at(event.position().toPoint())
        if offset is None:
            return
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.cursor = offset
        else:
            self.anchor = self.cursor = offset
        self._nibble = 0
        self.viewport().update()
        self.selection_changed.emit(*self.selection)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if not event.buttons() & Qt.MouseButton.LeftButton:
            return
        offset = self.offset_at(event.position().toPoint())
        if offset is not None and offset != self.cursor:
            self.cursor = offset
            self.viewport().update()
            self.selection_changed.emit(*self.selection)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        moves = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Up: -BYTES_PER_ROW,
                 Qt.Key.Key_Down: BYTES_PER_ROW,
                 Qt.Key.Key_PageUp: -BYTES_PER_ROW * self.visible_rows(),
                 Qt.Key.Key_PageDown: BYTES_PER_ROW * self.visible_rows()}
        key = event.key()
        if key in moves or key in (Qt.Key.Key_Home, Qt.Key.Key_End):
            if key == Qt.Key.Key_Home:
                target = 0 if event.modifiers() & Qt.KeyboardModifier.ControlModifier else \
                    self.cursor - self.cursor % BYTES_PER_ROW
            elif key == Qt.Key.Key_End:
                target = self.size_bytes - 1 if event.modifiers() & \
                    Qt.KeyboardModifier.ControlModifier else \
                    self.cursor - self.cursor % BYTES_PER_ROW + BYTES_PER_ROW - 1
            else:
                target = self.cursor + moves[key]
            target = max(0, min(self.size_bytes - 1, target))
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.cursor = target
            else:
                self.anchor = self.cursor = target
            self._nibble = 0
            self.ensure_visible(target)
            self.viewport().update()
            self.selection_changed.emit(*self.selection)
            return
        text = event.text().lower()
        if self.file is not None and self.file.writable and len(text) == 1 \
                and text in "0123456789abcdef":
            self.type_hex_digit(int(text, 16))
            return
        super().keyPressEvent(event)

    def type_hex_digit(self, digit: int) -> None:
        """Overwrite the high, then the low half of the byte at the cursor (edit copies)."""
        if self.file is None or not self.file.writable:
            return
        offset = self.cursor
        old = self.file.read(offset, 1)[0]
        new = (digit << 4 | old & 0x0F) if self._nibble == 0 else (old & 0xF0 | digit)
        self.file.write(offset, bytes([new]))
        self.edited.emit(offset)
        if self._nibble == 0:
            self._nibble = 1
        else:
            self._nibble = 0
            if offset + 1 < self.size_bytes:
                self.anchor = self.cursor = offset + 1
                self.ensure_visible(self.cursor)
        self.viewport().update()
        self.selection_changed.emit(*self.selection)

    # -- painting ----------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        painter.fillRect(event.rect(), colour("input.bg"))
        if self.file is None:
            painter.end()
            return
        hex_x, ascii_x, digits = self._columns()
        first = self.first_row
        count = self.visible_rows() + 1
        start = first * BYTES_PER_ROW
        data = self.file.read(start, count * BYTES_PER_ROW)
        sel_start, sel_end = self.selection
        regions = self.layout_info.overlapping(start, start + len(data)) \
            if self.layout_info else []
        region_at = _RegionLookup(regions, self.layout_info)
        current = self.layout_info.at(self.cursor) if self.layout_info else None
        text_colour, muted, selection = colour("text"), colour("text.muted"), colour(
            "selection")
        selection_text = colour("selection.text")
        painter.fillRect(QRect(0, 0, hex_x - self.char_w, self.viewport().height()),
                         colour("surface"))
        for row in range(count):
            row_offset = start + row * BYTES_PER_ROW
            if row_offset >= self.size_bytes:
                break
            y = row * self.row_h
            painter.setPen(muted)
            painter.drawText(self.char_w // 2, y + self.ascent + 1, f"{row_offset:0{digits}x}")
            chunk = data[row * BYTES_PER_ROW:(row + 1) * BYTES_PER_ROW]
            for column, value in enumerate(chunk):
                offset = row_offset + column
                x = self._hex_cell_x(column, hex_x)
                ax = ascii_x + column * self.char_w
                selected = sel_start <= offset < sel_end
                shade = region_at(offset)
                if selected:
                    painter.fillRect(x - 1, y, 3 * self.char_w - 1, self.row_h, selection)
                    painter.fillRect(ax, y, self.char_w, self.row_h, selection)
                elif shade is not None:
                    painter.fillRect(x - 1, y, 3 * self.char_w, self.row_h, shade)
                    painter.fillRect(ax, y, self.char_w, self.row_h, shade)
                if current is not None and current.start <= offset < current.end \
                        and not selected:
                    painter.setPen(colour("accent"))
                    painter.drawLine(x - 1, y + self.row_h - 1, x + 3 * self.char_w - 2,
                                     y + self.row_h - 1)
                painter.setPen(selection_text if selected else (
                    text_colour if value else muted))
                painter.drawText(x, y + self.ascent + 1, f"{value:02x}")
                char = chr(value) if 32 <= value < 127 else "."
                painter.setPen(selection_text if selected else (
                    text_colour if 32 <= value < 127 else muted))
                painter.drawText(ax, y + self.ascent + 1, char)
        painter.end()


class _RegionLookup:
    """Shade of the region holding an offset, walking forward through the visible regions."""

    def __init__(self, regions: list[Region], layout: Layout | None) -> None:
        self.regions = regions
        self.index = 0
        self.colours: list[QColor] = []
        if layout is not None and regions:
            tensors = layout.named("tensor_data")
            position = {id(r): i for i, r in enumerate(tensors)}
            self.colours = [region_colour(r, position.get(id(r), 0)) for r in regions]

    def __call__(self, offset: int) -> QColor | None:
        regions = self.regions
        while self.index < len(regions) and regions[self.index].end <= offset:
            self.index += 1
        if self.index < len(regions) and regions[self.index].start <= offset:
            return self.colours[self.index]
        return None
