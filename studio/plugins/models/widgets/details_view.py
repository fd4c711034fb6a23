"""Details of the selected model: every field, grouped, and the training run's loss curve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.plugins.models.present import detail_sections, role_color, title_of
from studio.plugins.models.schema import ModelEntry
from studio.plugins.models.state import RegistrySnapshot, models_state
from studio.plugins.models.widgets.common import (
    ErrorBanner,
    StateListener,
    badge_text_color,
    muted_label,
)
from studio.plugins.models.widgets.model_menu import fill_model_menu
from studio.shell.api import Background, ViewContext, icon

__all__ = ["LossCurve", "ModelDetailsView", "find_loss_history"]


def find_loss_history(entry: ModelEntry, local: Path | None) -> tuple[Path, dict[str, list]] | None:
    """The run's ``trainer_state.json`` near the model, as ``{"loss": [(step, v)], "eval": …}``.

    Looks in the local copy (highest ``checkpoint-N`` first), the recorded checkpoint and
    adapter folders, and the model folder's parent (HF's ``output_dir``).
    """
    from studio.plugins.models.detect import DetectError, read_trainer_state

    candidates: list[Path] = []
    if local is not None:
        folder = local if local.is_dir() else local.parent
        candidates += [folder, folder.parent]
    for key in ("checkpoint_path", "adapter_path", "model_path"):
        if entry.get(key):
            candidates.append(Path(str(entry[key])).expanduser())
    for folder in candidates:
        if not folder.is_dir():
            continue
        try:
            found = read_trainer_state(folder)
        except DetectError:
            continue
        if found is None:
            continue
        source, state = found
        history = [e for e in state.get("log_history") or [] if isinstance(e, dict)]
        curves: dict[str, list] = {
            "loss": [(e.get("step", i), e["loss"]) for i, e in enumerate(history)
                     if isinstance(e.get("loss"), int | float)],
            "eval_loss": [(e.get("step", i), e["eval_loss"]) for i, e in enumerate(history)
                          if isinstance(e.get("eval_loss"), int | float)],
        }
        if curves["loss"] or curves["eval_loss"]:
            return source, curves
    return None


class LossCurve(QWidget):
    """Training and eval loss over steps (pyqtgraph, imported on first use)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        import pyqtgraph

        from studio.shell.api import current_chart_colors

        colors = current_chart_colors()
        self.plot = pyqtgraph.PlotWidget(background=colors["background"])
        self.plot.setMinimumHeight(180)
        self.plot.setMaximumHeight(260)  # the fields below matter as much as the curve
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setLabel("bottom", "step")
        self.plot.setLabel("left", "loss")
        self.plot.addLegend(offset=(-10, 10))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self.source = muted_label()
        layout.addWidget(self.source)

    def show_curves(self, source: Path, curves: dict[str, list]) -> None:
        import pyqtgraph

        from studio.shell.api import current_chart_colors, style_plot

        colors = current_chart_colors()
        self.plot.clear()
        series = colors["series"]
        for number, (name, points) in enumerate(curves.items()):
            if not points:
                continue
            steps, values = zip(*points, strict=True)
            self.plot.plot(list(steps), list(values), name="train" if name == "loss" else "eval",
                           pen=pyqtgraph.mkPen(series[number % len(series)], width=2),
                           symbol="o" if len(points) < 30 else None, symbolSize=5)
        style_plot(self.plot, colors)
        self.source.setText(f"from {source}")

    def restyle(self) -> None:
        from studio.shell.api import style_plot

        style_plot(self.plot)


class ModelDetailsView(QWidget):
    """Every field of the selected model in readable groups, plus the loss curve."""

    def __init__(self, context: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelDetails")
        self.context = context
        self.state = models_state(context.studio)
        self.entry: ModelEntry | None = None
        self._background = Background(self)
        self.curve: LossCurve | None = None

        self.title = QLabel()
        self.title.setProperty("role", "heading")
        self.title.setWordWrap(True)
        self.badge = QLabel()
        self.badge.setProperty("role", "badge")
        self.actions_button = QToolButton()
        self.actions_button.setObjectName("modelActions")
        self.actions_button.setText("Actions")
        self.actions_button.setIcon(icon("mdi6.dots-horizontal"))
        self.actions_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.actions_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.actions_menu = QMenu(self.actions_button)
        # The same actions as the list's context menu (model actions + their commands).
        self.actions_menu.aboutToShow.connect(lambda: fill_model_menu(
            self.actions_menu, context, self.entry, skip_groups=("open",), general=()))
        self.actions_button.setMenu(self.actions_menu)
        heading = QHBoxLayout()
        heading.addWidget(self.title, 1)
        heading.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        heading.addWidget(self.actions_button, 0, Qt.AlignmentFlag.AlignTop)
        self.subtitle = muted_label()
        self.subtitle.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner = ErrorBanner(self)

        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(0, 0, 0, 0)
        self.curve_box = QGroupBox("Loss curve")
        self.curve_layout = QVBoxLayout(self.curve_box)
        self.curve_box.hide()  # shown once a training run is found
        # Why there is no curve, at the bottom: it matters less than the fields.
        self.curve_note = muted_label("Looking for the training run…")
        self.sections = QWidget()
        self.sections_layout = QVBoxLayout(self.sections)
        self.sections_layout.setContentsMargins(0, 0, 0, 0)
        self.body_layout.addWidget(self.curve_box)
        self.body_layout.addWidget(self.sections)
        self.body_layout.addWidget(self.curve_note)
        self.body_layout.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget()
        inner_layout = QVBoxLayout(inner)
        inner_layout.addLayout(heading)
        inner_layout.addWidget(self.subtitle)
        inner_layout.addWidget(self.banner)
        inner_layout.addWidget(self.body)
        # Scroll rather than squeeze: a resizable scroll area otherwise shrinks its content
        # below the forms' natural height when the dock is short, and the rows overlap.
        inner.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        scroll.setWidget(inner)
        self.placeholder = muted_label("Select a model in the Models list to see its details.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.placeholder)
        layout.addWidget(scroll, 1)
        self.scroll = scroll

        self.listener = StateListener(self.state, self)
        self.listener.snapshot.connect(self._on_snapshot)
        self.listener.selected.connect(lambda _id: self.show_entry(self.state.selected_entry()))
        context.subscribe("theme.changed", self._restyle, latest=True)
        self.show_entry(self.state.selected_entry())

    def _on_snapshot(self, snapshot: RegistrySnapshot) -> None:
        self.banner.show_snapshot(snapshot)
        entry = snapshot.get(self.entry["model_id"]) if self.entry else None
        if entry != self.entry:
            self.show_entry(entry)

    def _restyle(self, _event: object = None) -> None:
        self.banner.restyle()
        if self.curve is not None:
            self.curve.restyle()

    def show_entry(self, entry: ModelEntry | None) -> None:
        self.entry = entry
        self.placeholder.setVisible(entry is None)
        self.scroll.setVisible(entry is not None)
        if entry is None:
            return
        self.title.setText(title_of(entry))
        role = entry.get("role") or "—"
        colour = role_color(role)
        self.badge.setText(role)
        self.badge.setStyleSheet(f"background-color: {colour}; "
                                 f"color: {badge_text_color(colour).name()};")
        self.subtitle.setText(f"{entry['model_id']} · {entry.get('version') or ''} · "
                              f"{entry.get('base_model') or 'base unknown'}")
        self._fill_sections(entry)
        self._load_curve(entry)

    def _fill_sections(self, entry: ModelEntry) -> None:
        while self.sections_layout.count():
            item = self.sections_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        snapshot = self.state.snapshot
        studio_data = snapshot.studio_data.get(entry["model_id"])
        unknown = snapshot.unknown_keys.get(entry["model_id"])
        for title, rows in detail_sections(entry, studio_data, unknown):
            box = QGroupBox(title)
            form = QFormLayout(box)
            form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            for row in rows:
                value = QLabel(row.value)
                # Only long values wrap: word-wrapped labels answer heightForWidth, which the
                # scroll area's form rows under-estimate, so short rows used to overlap.
                value.setWordWrap(len(row.value) > 60)
                value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                value.setObjectName(f"field-{row.field}" if row.field else "")
                label = muted_label(row.label, wrap=False)
                form.addRow(label, value)
            self.sections_layout.addWidget(box)

    def _load_curve(self, entry: ModelEntry) -> None:
        self.curve_note.setText("Looking for the training run…")
        self.curve_note.show()
        self.curve_box.hide()
        service = self.state.service
        self._background.run(lambda: find_loss_history(entry, service.local_path(entry)),
                             self._curve_found)

    def _curve_found(self, found: Any, error: Exception | None) -> None:
        if error is not None or found is None:
            self.curve_note.setText("No trainer_state.json found near this model, so no loss "
                                    "curve. (The curve appears when the run's folder is here.)")
            return
        if self.curve is None:
            self.curve = LossCurve(self.curve_box)
            self.curve_layout.addWidget(self.curve)
        self.curve_note.hide()
        self.curve_box.show()
        self.curve.show_curves(*found)

    def field_text(self, field: str) -> str | None:
        label = self.findChild(QLabel, f"field-{field}")
        return label.text() if label is not None else None
