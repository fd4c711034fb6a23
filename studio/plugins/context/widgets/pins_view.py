"""Selected Context: pinned files and folders with on/off, remove and export.

The list is the :class:`~studio.plugins.context.pins.PinStore` in the studio's config; every
change is saved at once. Files can be dropped here from the browser.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.plugins.context.api import context_service
from studio.plugins.context.pins import PinStoreError
from studio.plugins.context.widgets.common import ViewContext, icon, muted_label

__all__ = ["PinsView"]


class PinsView(QWidget):
    def __init__(self, context: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contextPins")
        self.context = context
        self.store = context_service(context.studio).pins
        self.list = QListWidget()
        self.list.setObjectName("pinList")
        self.list.setAlternatingRowColors(True)
        self.list.itemChanged.connect(self._toggled)
        self.list.itemActivated.connect(self._open)
        self.setAcceptDrops(True)
        remove = QPushButton(icon("mdi6.pin-off-outline"), "Remove")
        remove.clicked.connect(self.remove_selected)
        export = QPushButton(icon("mdi6.export"), "Export…")
        export.setToolTip("Write the enabled paths to a text file, one per line")
        export.clicked.connect(lambda: context.run_command("context.export-pins"))
        self.summary = muted_label("")
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(remove)
        buttons.addWidget(export)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for pin in self.store.pins():
            item = QListWidgetItem(icon("mdi6.folder-outline" if pin.folder
                                        else "mdi6.file-outline"), pin.path)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if pin.enabled
                               else Qt.CheckState.Unchecked)
            item.setData(Qt.ItemDataRole.UserRole, pin.path)
            if not pin.exists:
                item.setToolTip(f"{pin.path} no longer exists")
                item.setText(f"{pin.path}  (missing)")
            self.list.addItem(item)
        self.list.blockSignals(False)
        pins = self.store.pins()
        enabled = sum(1 for p in pins if p.enabled)
        text = (f"{enabled} of {len(pins)} pinned paths on" if pins else
                "Nothing pinned: right-click files in the Context Browser ▸ Pin, or drop "
                "them here.")
        if self.store.problem:
            text = self.store.problem
        self.summary.setText(text)

    def _toggled(self, item: QListWidgetItem) -> None:
        self.store.set_enabled(item.data(Qt.ItemDataRole.UserRole),
                               item.checkState() == Qt.CheckState.Checked)
        self.refresh()

    def _open(self, item: QListWidgetItem) -> None:
        from studio.plugins.context.api import reveal

        reveal(self.context.studio, item.data(Qt.ItemDataRole.UserRole))

    def remove_selected(self) -> None:
        for item in self.list.selectedItems():
            self.store.remove(item.data(Qt.ItemDataRole.UserRole))
        self.refresh()

    def add(self, path: str) -> None:
        try:
            self.store.add(path)
        except PinStoreError as exc:
            self.summary.setText(str(exc))
            return
        self.refresh()

    def showEvent(self, event: object) -> None:  # pins added from the browser meanwhile
        super().showEvent(event)
        self.refresh()

    def dragEnterEvent(self, event: object) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: object) -> None:
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.add(url.toLocalFile())
        event.acceptProposedAction()
