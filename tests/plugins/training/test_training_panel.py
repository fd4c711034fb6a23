"""The Training workspace: a real demo run watched live, charts, 1M points, cards, export."""

from __future__ import annotations

import numpy as np
import pytest

from studio.plugins.training.api import RunStatus, training
from studio.plugins.training.chartdata import prepare_series, series_csv, visible_indices
from studio.plugins.training.discovery import RunSource
from studio.plugins.training.readers.base import ReadResult
from studio.plugins.training.runs import TrainingRun
from studio.plugins.training.sample import populate_sample_training
from studio.plugins.training.series import ColumnBatch, MetricSeries


class ArrayReader:
    """A metric source serving arrays once (a run whose data is already in memory)."""

    def __init__(self, columns):
        self.path = None
        self.columns = columns

    def read(self):
        columns, self.columns = self.columns, {}
        nan = np.full(len(next(iter(columns.values()))[0]), np.nan) if columns else None
        return ReadResult(columns={name: ColumnBatch(x, y, nan, nan)
                                   for name, (x, y) in columns.items()}, last_update=0.0)


def _views(shell):
    window = shell.main_window
    window.switch_workspace("training")
    return (window.docks["training.runs"].materialize(),
            window.docks["training.charts"].materialize(),
            window.docks["training.telemetry"].materialize())


def _curve_points(chart) -> int:
    return sum(len(c.data) for c in chart.curves.values() if c.data is not None)


def test_demo_run_watched_live(studio_shell, qtbot, tmp_path):
    runs_view, chart, telemetry = _views(studio_shell)
    service = training(studio_shell.studio)
    out = service.start_demo_run(steps=150, step_delay=0.03)

    def live_run():
        rows = [r for r in runs_view.model.runs if r.folder == str(out)]
        return rows[0] if rows and rows[0].status is RunStatus.RUNNING and \
            (rows[0].global_step or 0) > 5 else None

    qtbot.waitUntil(lambda: live_run() is not None, timeout=60000)
    assert live_run().max_steps == 150
    qtbot.waitUntil(lambda: chart.metric.currentText() == "loss" and _curve_points(chart) > 2,
                    timeout=30000)
    seen = _curve_points(chart)
    qtbot.waitUntil(lambda: _curve_points(chart) > seen, timeout=30000)  # grows while it runs
    assert any(r.eta_seconds for r in runs_view.model.runs if r.folder == str(out)) or \
        live_run() is None

    def finished():
        rows = [r for r in runs_view.model.runs if r.folder == str(out)]
        return rows and rows[0].status is RunStatus.COMPLETED

    qtbot.waitUntil(finished, timeout=120000)
    (curve,) = chart.curves.values()
    assert curve.data.y[-1] < curve.data.y[0] - 0.5  # the loss fell
    assert "loss" in chart.values_at(float(curve.data.x[len(curve.data) // 2]))
    assert "1 completed" in runs_view.summary.text()
    assert telemetry.state.text()  # "no NVIDIA GPU" here, or the GPUs


def test_sample_workspace_run_and_exports(studio_shell, qtbot, tmp_path):
    context = studio_shell.studio.context.path
    messages = []
    populate_sample_training(context, messages.append)
    assert "finished demo run" in messages[0]
    runs_view, chart, _ = _views(studio_shell)
    training(studio_shell.studio).monitor.poke()
    qtbot.waitUntil(lambda: any(r.status is RunStatus.COMPLETED for r in runs_view.model.runs),
                    timeout=30000)
    qtbot.waitUntil(lambda: _curve_points(chart) > 0, timeout=30000)
    chart.metric.setCurrentText("eval_loss")
    qtbot.waitUntil(lambda: _curve_points(chart) == 4, timeout=5000)
    chart.log_scale.setChecked(True)
    chart.x_axis.setCurrentIndex(chart.x_axis.findData("wall"))
    for kind in ("png", "svg", "csv"):
        path = chart.export_to(tmp_path / f"chart.{kind}", kind)
        assert path.stat().st_size > 100
    rows = (tmp_path / "chart.csv").read_text().splitlines()
    assert rows[0] == "run,wall,value,smoothed" and len(rows) == 5
    assert not list(tmp_path.glob(".*partial*"))


def test_million_points_are_downsampled_per_pixel(studio_shell, qtbot):
    _, chart, _ = _views(studio_shell)
    service = training(studio_shell.studio)
    n = 1_000_000
    steps = np.arange(n, dtype=np.float64)
    rng = np.random.default_rng(0)
    loss = 3.0 * np.exp(-steps / 2e5) + rng.normal(0, 0.05, n)
    loss[123_456] = 50.0  # a spike must survive downsampling
    run = TrainingRun(RunSource("big-1", "big", "folder", "local"), service.registry)
    run.add_reader("arrays", 1, ArrayReader({"loss": (steps, loss)}))
    run.refresh()
    service.monitor.add_run(run)
    chart.show_runs((run.source.id,))
    (curve,) = chart.curves.values()
    assert len(curve.data) == n
    drawn = len(curve.raw.xData)
    width = int(chart.plot.getViewBox().width())
    assert drawn <= 2 * max(64, width) + 2 and drawn < 5000
    assert curve.raw.yData.max() == 50.0
    chart.plot.getViewBox().setXRange(100_000, 150_000, padding=0)
    qtbot.waitUntil(lambda: curve.raw.xData.min() >= 99_000, timeout=5000)
    width = int(chart.plot.getViewBox().width())  # the dock may have been laid out since
    assert curve.raw.yData.max() == 50.0 and len(curve.raw.xData) <= 2 * max(64, width) + 2


def test_chartdata_alignment_smoothing_and_csv():
    series = MetricSeries("loss")
    series.extend([500, 510, 520], [2.0, np.nan, 1.0], wall=[10.0, 11.0, 12.0],
                  epoch=[1.0, 1.1, 1.2])
    aligned = prepare_series(series.view(), label="resumed", align_start=True, smoothing=0.5)
    assert aligned.x.tolist() == [0.0, 10.0, 20.0]
    assert aligned.smoothed[0] == 2.0 and np.isnan(aligned.smoothed[1])
    relative = prepare_series(series.view(), label="r", x_axis="relative")
    assert relative.x.tolist() == [0.0, 1.0, 2.0]
    assert aligned.value_at(12.0)[0] == 10.0
    assert visible_indices(aligned.x, aligned.y, 5, 15, 100).tolist() == [0, 1, 2]
    text = series_csv([aligned], "step")
    assert text.splitlines()[1] == "resumed,0.0,2.0,2.0"
    with pytest.raises(ValueError, match="unknown x axis"):
        prepare_series(series.view(), label="x", x_axis="minutes")


def test_dashboard_cards(studio_shell, qtbot):
    from studio.plugins.training.widgets.cards import ActiveRunsCard, GpuCard
    from studio.shell.api import ViewContext

    context = ViewContext(studio_shell.studio, studio_shell, studio_shell.main_window,
                          "training.active")
    card = ActiveRunsCard(context)
    gpu = GpuCard(context)
    qtbot.addWidget(card)
    qtbot.addWidget(gpu)
    qtbot.waitUntil(lambda: "No training runs" in card.note.text(), timeout=30000)
    qtbot.waitUntil(lambda: "CPU" in gpu.body.text(), timeout=30000)
    assert "No NVIDIA GPU" in gpu.body.text() or "utilization" in gpu.body.text()


def test_remote_gpu_samples_show_beside_this_machine(studio_shell, qtbot, training_data,
                                                     tmp_path):
    """Samples of a host (as RemoteGpuStream publishes them) get their own legend and line."""
    import time

    from studio.plugins.training.nvidia_smi import NvidiaSmiParser
    from studio.plugins.training.telemetry import TelemetrySample
    from studio.plugins.training.widgets.cards import GpuCard
    from studio.shell.api import ViewContext

    fields = ("timestamp", "utilization.gpu", "utilization.memory", "memory.used",
              "memory.free", "temperature.gpu", "power.draw")
    gpus = NvidiaSmiParser(fields).feed(
        (training_data / "nvidia_smi_noheader_units.csv").read_text().splitlines())
    _, _, telemetry = _views(studio_shell)
    service = training(studio_shell.studio)
    context = ViewContext(studio_shell.studio, studio_shell, studio_shell.main_window,
                          "training.gpu")
    card = GpuCard(context)
    qtbot.addWidget(card)
    for offset, gpu in enumerate(gpus[-10:]):
        sample = TelemetrySample(time=time.time() - 10 + offset, gpus=(gpu,), gpu_state="ok",
                                 source="host:gpu-box")
        service.telemetry.history.add(sample)
        studio_shell.studio.bus.publish(sample)
    qtbot.waitUntil(lambda: "gpu-box: 1 NVIDIA GPU" in telemetry.state.text(), timeout=30000)
    qtbot.waitUntil(lambda: "gpu-box GPU 0" in card.body.text(), timeout=30000)
    history_keys = service.telemetry.history.keys()
    assert "host:gpu-box.gpu0.util" in history_keys
    telemetry.resize(1200, 520)
    telemetry.redraw()
    names = [c.name() for c in telemetry.plots[0][0].listDataItems()]
    assert "gpu-box GPU0" in names
    telemetry.grab().save(str(tmp_path / "telemetry-remote.png"))  # looked at by hand
