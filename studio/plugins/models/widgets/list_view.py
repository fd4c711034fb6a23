"""The Models list: filters, a sortable table, actions, running jobs, the read-only banner."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelection, QModelIndex, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QStackedLayout,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.api import JobState, JobUpdated
from studio.plugins.models.plugin import PRIMARY_GROUP
from studio.plugins.models.schema import BACKENDS, LOCATIONS, ModelEntry
from studio.plugins.models.state import RegistrySnapshot, models_state
from studio.plugins.models.widgets.common import (
    ErrorBanner,
    RoleBadgeDelegate,
    StateListener,
    muted_label,
)
from studio.plugins.models.widgets.model_menu import fill_model_menu
from studio.plugins.models.widgets.table_model import (
    BASE,
    COLUMNS,
    ENTRY_ROLE,
    NAME,
    ROLE,
    ModelsFilterProxy,
    ModelsTableModel,
)
from studio.plugins.models.widgets.table_model import (
    LOCATIONS as LOCATIONS_COLUMN,
)
from studio.shell.api import ViewContext, icon, post_message, setup_record_table

__all__ = ["JobStrip", "ModelListView"]

ALL = "All"
HAFS_ROLES = ("asm", "debug", "general", "yaze")  # the hafs studio's role filter


class JobStrip(QWidget):
    """The newest running Models job: title, progress, Cancel (all jobs are in the Jobs view)."""

    def __init__(self, view: ModelListView) -> None:
        super().__init__(view)
        self.studio = view.studio
        self.state = view.state
        self.job_id: int | None = None
        self.title = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setMaximumWidth(220)
        self.message = muted_label(wrap=False)
        self.cancel_button = QToolButton()
        self.cancel_button.setIcon(icon("mdi6.stop-circle-outline"))
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.cancel_button.clicked.connect(self.cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.title)
        layout.addWidget(self.bar)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.cancel_button)
        self.hide()

    def apply(self, events: list[JobUpdated] | JobUpdated) -> None:
        for event in events if isinstance(events, list) else [events]:
            if event.job_id not in self.state.job_ids:
                continue
            if event.state.finished:
                if event.job_id == self.job_id:
                    self._finished(event)
                continue
            self.job_id = event.job_id
            self.title.setText(f"<b>{event.title}</b>")
            if event.fraction is None:
                self.bar.setRange(0, 0)  # busy indicator
            else:
                self.bar.setRange(0, 1000)
                self.bar.setValue(round(event.fraction * 1000))
            self.message.setText(event.message)
            self.cancel_button.setEnabled(True)
            self.show()

    def _finished(self, event: JobUpdated) -> None:
        running = [j for j in self.studio.jobs.running() if j.id in self.state.job_ids]
        if running:
            self.job_id = running[-1].id
            return
        self.job_id = None
        words = {JobState.SUCCEEDED: "done", JobState.CANCELLED: "cancelled",
                 JobState.FAILED: "failed"}
        shell_message = f"{event.title}: {words.get(event.state, event.state.value)}"
        if event.state is JobState.FAILED:
            shell_message += f" ({event.message})"
        post_message(shell_message)
        self.hide()

    def cancel(self) -> None:
        job = self.studio.jobs.get(self.job_id) if self.job_id is not None else None
        if job is not None:
            job.cancel()
            self.cancel_button.setEnabled(False)
            self.message.setText("Cancelling…")


class ModelListView(QWidget):
    """The Models dock: every registered model, filterable and sortable."""

    def __init__(self, context: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelsList")
        self.context = context
        self.studio = context.studio
        self.state = models_state(self.studio)
        self.snapshot = self.state.snapshot

        self.model = ModelsTableModel(self)
        self.proxy = ModelsFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = self._make_table()

        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter by id, name, role or base model…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda text: self.proxy.set_filters(text=text)
                                        or self._update_status())
        self.role_filter = self._combo("Role", HAFS_ROLES, "role")
        self.location_filter = self._combo("Location", LOCATIONS, "location")
        self.backend_filter = self._combo("Backend", BACKENDS, "backend")
        filters = QHBoxLayout()
        filters.setContentsMargins(6, 0, 6, 0)
        filters.addWidget(self.search, 1)
        for combo in (self.role_filter, self.location_filter, self.backend_filter):
            filters.addWidget(combo)

        self.banner = ErrorBanner(self)
        self.jobs = JobStrip(self)
        self.status = muted_label(wrap=False)
        self.empty = muted_label()
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setText("No models registered yet.\n\nRegister a checkpoint folder, LoRA "
                           "adapter or GGUF (Ctrl+Shift+M),\nor use File ▸ Create Sample "
                           "Workspace to get a tiny example model.")
        self.stack = QStackedLayout()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(4)
        layout.addLayout(self._make_toolbar())
        layout.addLayout(filters)
        layout.addWidget(self.banner)
        layout.addLayout(self.stack, 1)
        layout.addWidget(self.jobs)
        status = QHBoxLayout()
        status.setContentsMargins(6, 0, 6, 0)
        status.addWidget(self.status, 1)
        layout.addLayout(status)

        QShortcut(QKeySequence("Ctrl+F"), self, self.search.setFocus,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.listener = StateListener(self.state, self, jobs=True)
        self.listener.snapshot.connect(self.apply_snapshot)
        self.listener.selected.connect(self._follow_selection)
        self.listener.jobs.connect(self.jobs.apply)
        self.apply_snapshot(self.state.snapshot)

    # -- construction --------------------------------------------------------------------
    def _make_table(self) -> QTableView:
        table = QTableView()
        table.setModel(self.proxy)
        table.setSortingEnabled(True)
        table.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
        header = setup_record_table(table, row_height=28)
        table.setItemDelegateForColumn(ROLE, RoleBadgeDelegate(table))
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in ((NAME, 220), (ROLE, 76), (BASE, 150), (LOCATIONS_COLUMN, 140)):
            header.resizeSection(column, width)
        table.selectionModel().selectionChanged.connect(self._on_selection)
        table.doubleClicked.connect(lambda _index: self.run("models.details"))
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._context_menu)
        table.installEventFilter(self)
        return table

    def _tool(self, command_id: str, text: str) -> QToolButton:
        """A toolbar button running a command (icon and tooltip from the command)."""
        commands = self.studio.commands
        spec = commands.get(command_id) if command_id in commands else None
        button = QToolButton()
        button.setObjectName(f"command:{command_id}")
        button.setText(text)
        if spec is not None:
            button.setIcon(icon(spec.icon or "mdi6.play-outline"))
            key = commands.shortcut(command_id)
            button.setToolTip((spec.description or spec.title) + (f" ({key})" if key else ""))
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.clicked.connect(lambda _checked=False: self.run(command_id))
        return button

    def run(self, command_id: str) -> Any:
        """Run a command on the selected model (the list sets the studio's model selection)."""
        return self.context.run_command(command_id)

    def _make_toolbar(self) -> QHBoxLayout:
        self.register_button = self._tool("models.register", "Register")
        self.convert_button = self._tool("models.convert", "Convert")
        self.quantize_button = self._tool("models.quantize", "Quantize")
        self.inspect_button = self._tool("models.inspect-model", "Inspect")
        self.compare_button = self._tool("models.compare", "Compare")
        self.more_button = QToolButton()
        self.more_button.setText("More")
        self.more_button.setIcon(icon("mdi6.dots-horizontal"))
        self.more_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.more_menu = QMenu(self.more_button)
        self.more_menu.aboutToShow.connect(lambda: self._fill_menu(self.more_menu, more=True))
        self.more_button.setMenu(self.more_menu)
        row = QHBoxLayout()
        row.setContentsMargins(6, 0, 6, 0)
        row.setSpacing(2)
        for button in (self.register_button, self.convert_button, self.quantize_button,
                       self.inspect_button, self.compare_button, self.more_button):
            row.addWidget(button)
        row.addStretch(1)
        return row

    def _combo(self, label: str, values: tuple[str, ...], key: str) -> QComboBox:
        combo = QComboBox()
        combo.addItem(f"{label}: {ALL}", None)
        for value in values:
            combo.addItem(value, value)
        combo.setToolTip(f"Show only models with this {label.lower()}")
        combo.currentIndexChanged.connect(
            lambda _i: self.proxy.set_filters(**{key: combo.currentData()})
            or self._update_status())
        return combo

    # -- state ---------------------------------------------------------------------------
    def apply_snapshot(self, snapshot: RegistrySnapshot) -> None:
        keep = self.state.selected
        self.snapshot = snapshot
        self.model.set_models(snapshot.models)
        self._extend_role_filter(snapshot.models)
        self.banner.show_snapshot(snapshot)
        self.register_button.setEnabled(not snapshot.read_only)
        self.stack.setCurrentWidget(self.table if snapshot.models or not snapshot.loaded
                                    else self.empty)
        if not (keep and self.select_model(keep)) and self.proxy.rowCount():
            self.table.setCurrentIndex(self.proxy.index(0, 0))  # details show something at once
        self._update_buttons()
        self._update_status()

    def _extend_role_filter(self, models: tuple[ModelEntry, ...]) -> None:
        known = {self.role_filter.itemData(i) for i in range(self.role_filter.count())}
        for role in sorted({m.get("role") for m in models if m.get("role")} - known):
            self.role_filter.addItem(role, role)

    def _update_status(self) -> None:
        snapshot = self.snapshot
        if not snapshot.loaded:
            self.status.setText("Loading the registry…")
            return
        shown, total = self.proxy.rowCount(), len(snapshot.models)
        count = f"{total} model{'s' * (total != 1)}" if shown == total else \
            f"{shown} of {total} models"
        updated = f" · Updated: {snapshot.updated_at[:19].replace('T', ' ')}" \
            if snapshot.updated_at else ""
        mode = " · read-only" if snapshot.read_only else ""
        damaged = f" · {len(snapshot.damaged)} damaged (see above)" if snapshot.damaged else ""
        self.status.setText(f"{count}{damaged}{updated}{mode}")
        self.status.setToolTip(snapshot.path)

    # -- selection -----------------------------------------------------------------------
    def selected_entry(self) -> ModelEntry | None:
        index = self.table.currentIndex()
        return index.data(ENTRY_ROLE) if index.isValid() else None

    def select_model(self, model_id: str) -> bool:
        row = self.model.row_of(model_id)
        if row < 0:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return False
        if self.table.currentIndex().row() != index.row():
            self.table.setCurrentIndex(index)
        return True

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        entry = self.selected_entry()
        self.state.select(entry["model_id"] if entry else None)
        self._update_buttons()

    def _follow_selection(self, model_id: str | None) -> None:
        if model_id and (self.selected_entry() or {}).get("model_id") != model_id:
            self.select_model(model_id)

    def _update_buttons(self) -> None:
        entry = self.selected_entry()
        selection = (entry["model_id"],) if entry else ()
        commands = self.studio.commands
        for button in (self.convert_button, self.inspect_button):
            command_id = button.objectName().removeprefix("command:")
            button.setEnabled(command_id in commands
                              and commands.is_enabled(command_id, selection))

    # -- menus and keys ------------------------------------------------------------------
    def _fill_menu(self, menu: QMenu, more: bool = False) -> None:
        """The context menu (``more``: the More menu, without the toolbar's own actions)."""
        fill_model_menu(menu, self.context, self.selected_entry(),
                        skip_groups=(PRIMARY_GROUP,) if more else ())

    def _context_menu(self, position: Any) -> None:
        if not self.table.indexAt(position).isValid():
            return
        menu = QMenu(self)
        self._fill_menu(menu)
        menu.popup(self.table.viewport().mapToGlobal(position))

    def eventFilter(self, watched: Any, event: Any) -> bool:
        from PySide6.QtCore import QEvent

        if watched is self.table and event.type() == QEvent.Type.KeyPress:
            entry = self.selected_entry()
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and entry:
                self.context.run_command("models.details", selection=[entry["model_id"]])
                return True
            if key == Qt.Key.Key_Delete and entry and not self.snapshot.read_only:
                self.context.run_command("models.remove", selection=[entry["model_id"]])
                return True
        return super().eventFilter(watched, event)

    def column_titles(self) -> tuple[str, ...]:
        return COLUMNS

    def visible_ids(self) -> list[str]:
        return [self.proxy.index(row, 0).data(ENTRY_ROLE)["model_id"]
                for row in range(self.proxy.rowCount())]

    def index_of(self, model_id: str) -> QModelIndex:
        row = self.model.row_of(model_id)
        return self.proxy.mapFromSource(self.model.index(row, 0)) if row >= 0 else QModelIndex()
