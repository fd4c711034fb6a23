"""The Training plugin's hook implementations: views, commands, settings, cards, CLI, sample.

Nothing here imports Qt: the CLI loads this module too. Widgets are imported by the factories
the first time a view is shown; command handlers reach the GUI through
:mod:`studio.plugins.training.widgets.actions` only when they run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio import hookimpl
from studio.api import (
    CliCommandSpec,
    CommandSpec,
    DashboardCardSpec,
    SettingField,
    SettingsSectionSpec,
    ViewSpec,
)
from studio.shell.api import lazy_widget

if TYPE_CHECKING:
    from studio.api import Studio

REQUIRES = ()
RUNS_VIEW = "training.runs"
CHARTS_VIEW = "training.charts"
TELEMETRY_VIEW = "training.telemetry"


def _widget(module: str, cls: str) -> Callable[[Any], Any]:
    return lazy_widget(f"studio.plugins.training.widgets.{module}", cls)


@hookimpl
def studio_register_views(register: Callable[[ViewSpec], None]) -> None:
    register(ViewSpec(RUNS_VIEW, "Training Runs", _widget("runs_view", "RunsView"),
                      "mdi6.run-fast", "left", ("training",),
                      "Every local, mounted and campaign run: status, progress, ETA, loss"))
    register(ViewSpec(CHARTS_VIEW, "Training Charts", _widget("chart_view", "ChartView"),
                      "mdi6.chart-line", "right", ("training",),
                      "Any metric of the selected runs: smoothing, log scale, export"))
    register(ViewSpec(TELEMETRY_VIEW, "GPU and System", _widget("telemetry_view",
                                                              "TelemetryView"),
                      "mdi6.expansion-card-variant", "bottom", ("training",),
                      "GPU utilization, memory, temperature, power; CPU and memory"))


def _action(name: str, studio: Studio) -> Callable[[], Any]:
    def handler() -> Any:
        from studio.plugins.training.widgets import actions

        return getattr(actions, name)(studio)

    return handler


def _has_gui() -> bool:
    from studio.shell.api import current_shell

    return current_shell() is not None


def _has_selection(studio: Studio) -> bool:
    from studio.plugins.training.service import training_service

    return _has_gui() and bool(training_service(studio).selected)


@hookimpl
def studio_register_commands(register: Callable[[CommandSpec], None], studio: Studio) -> None:
    def add(  # noqa: PLR0917 - a compact table of commands reads best positionally
            command_id: str, title: str, handler: str, icon: str,
            enabled: Callable[[Studio], bool], description: str = "") -> None:
        register(CommandSpec(f"training.{command_id}", title, _action(handler, studio), None,
                             "Training", icon, "Training", enabled_when=lambda: enabled(studio),
                             description=description))

    add("refresh", "Refresh Training Runs", "refresh", "mdi6.refresh", lambda s: _has_gui(),
        "Look for new runs and read what changed now")
    add("stop", "Stop Training Run…", "stop_run", "mdi6.stop-circle-outline", _has_selection,
        "SIGTERM the selected run's process (SIGKILL after a timeout), after confirming")
    add("demo", "Start Demo Training Run", "start_demo", "mdi6.play-circle-outline",
        lambda s: _has_gui(), "A small real NumPy training run to watch live")
    add("open-folder", "Open Run Folder", "open_folder", "mdi6.folder-open-outline",
        _has_selection)
    add("add-folder", "Watch a Run Folder…", "add_folder", "mdi6.folder-plus-outline",
        lambda s: _has_gui(), "Add a training output folder (or a folder of runs)")


def _validate_folders(value: str) -> None:
    for part in value.replace("\n", ";").split(";"):
        if part.strip() and "\0" in part:
            raise ValueError("a folder path cannot contain NUL")


def _validate_remote_runs(value: str) -> None:
    from studio.plugins.training.remote_runs import parse_remote_roots

    parse_remote_roots(value, "D:/hafs_training")


@hookimpl
def studio_register_settings(register: Callable[[SettingsSectionSpec], None]) -> None:
    register(SettingsSectionSpec("training", "Training", (
        SettingField("stall_minutes", "int", 30, "Stalled after (minutes)",
                     "A run with no new data for this long is Stalled (hafs: 30).",
                     minimum=1, maximum=1440),
        SettingField("run_folders", "str", "", "Run folders",
                     "Training output folders, or folders of runs, separated by ';'.",
                     validate=_validate_folders),
        SettingField("windows_training_root", "str", "D:/hafs_training",
                     "GPU box training root", "Matched against sync.toml mounts, as hafs does."),
        SettingField("remote_runs", "str", "", "Remote runs",
                     "Hosts of sync.toml to read runs from over SSH: 'host' (its GPU box "
                     "training root) or 'host:folder', separated by ';'.",
                     validate=_validate_remote_runs),
        SettingField("telemetry", "bool", True, "GPU and system telemetry",
                     "Poll NVML and psutil once a second while the studio runs."),
    ), "Run discovery, stall detection and telemetry."))


@hookimpl
def studio_register_dashboard_cards(register: Callable[[DashboardCardSpec], None]) -> None:
    register(DashboardCardSpec("training.active", "Active training runs",
                               _widget("cards", "ActiveRunsCard"), order=30))
    register(DashboardCardSpec("training.gpu", "GPU utilization",
                               _widget("cards", "GpuCard"), order=31))


@hookimpl
def studio_register_cli(register: Callable[[CliCommandSpec], None]) -> None:
    from studio.plugins.training.cli import app, demo_app

    register(CliCommandSpec("training", app, "Training runs: status, history, show, logs, stop."))
    register(CliCommandSpec("demo", demo_app, "Demo content: a real training run to watch."))


@hookimpl
def studio_populate_sample_workspace(root: Path, report: Callable[[str], None]) -> None:
    from studio.plugins.training.sample import populate_sample_training

    populate_sample_training(Path(root), report)


@hookimpl
def studio_add_hookspecs(add: Callable[[Any], None]) -> None:
    from studio.plugins.training import hookspecs

    add(hookspecs)


@hookimpl
def studio_register_metric_readers(register: Callable[[Any], None]) -> None:
    # The built-in formats go through the same hook as other plugins' (one table, one path);
    # their modules are imported on first use, not here.
    from studio.plugins.training.readers import builtin_reader_specs

    for spec in builtin_reader_specs():
        register(spec)


@hookimpl
def studio_startup(studio: Studio) -> None:
    from studio.plugins.training.readers import MetricReaderRegistry, MetricReaderSpec
    from studio.plugins.training.service import SERVICE, TrainingService

    readers = studio.plugins.collect("studio_register_metric_readers", MetricReaderSpec)
    studio.services.provide(SERVICE, TrainingService(studio, MetricReaderRegistry(readers)),
                            owner="training")


@hookimpl
def studio_shutdown(studio: Studio) -> None:
    for service in studio.services.withdraw_owned("training"):
        if hasattr(service, "close"):
            service.close()
