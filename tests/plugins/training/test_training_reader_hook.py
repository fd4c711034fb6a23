"""``studio_register_metric_readers``: declared by the Training plugin, collected live.

A second plugin contributes a reader for a format of its own (``steps.tsv``: ``step<TAB>loss``
lines); the monitor finds and reads runs in that format, and forgets the kind when the
contributing plugin is disabled while the studio runs.
"""

from __future__ import annotations

from pathlib import Path

from studio.core.plugins import BUILTIN_PLUGINS
from studio.plugins.training.api import MetricReaderSpec, ReadResult, training
from studio.plugins.training.series import ColumnBuilder
from studio.testing import make_contributor

TSV = "steps.tsv"


def locate_tsv(folder: Path) -> list[Path]:
    return [folder / TSV] if (folder / TSV).is_file() else []


class TsvReader:
    """Reads the whole file again each time: enough for a test of the hook, not of readers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._rows = 0

    def read(self) -> ReadResult:
        lines = self.path.read_text().splitlines()
        columns = ColumnBuilder()
        for line in lines[self._rows:]:
            step, loss = line.split("\t")
            columns.add("tsv_loss", float(step), float(loss))
        self._rows = len(lines)
        return ReadResult(columns=columns.build())


SPEC = MetricReaderSpec("tsvlog.steps", "Tab-separated steps", locate_tsv, TsvReader, 35)


def test_a_plugins_reader_kind_is_used_and_dropped_with_the_plugin(studio_factory, tmp_path):
    contributor = make_contributor("tsvlog", "studio_register_metric_readers", SPEC,
                                   optional=("training",))
    studio = studio_factory(plugins=[("tsvlog", contributor)], builtins=BUILTIN_PLUGINS)
    service = training(studio)
    kinds = service.registry.ids()
    assert {"tsvlog.steps", "training.trainer-state", "training.log"} <= kinds
    assert service.registry.get("tsvlog.steps").plugin == "tsvlog"
    assert service.registry.get("training.jsonl").plugin == "training"

    run = tmp_path / "runs" / "tsv-run"
    run.mkdir(parents=True)
    (run / TSV).write_text("10\t2.5\n20\t2.25\n")
    studio.settings.set("training", "run_folders", str(run.parent))
    snapshot = service.monitor.refresh_now(rescan=True)
    assert [summary.name for summary in snapshot.runs] == ["tsv-run"]
    summary = snapshot.runs[0]
    assert summary.metrics == ("tsv_loss",)
    assert service.monitor.run(summary.id).series("tsv_loss").value.tolist() == [2.5, 2.25]

    studio.disable_plugin("tsvlog")
    assert "tsvlog.steps" not in service.registry.ids()
    assert service.monitor.refresh_now(rescan=True).runs == ()  # nothing else reads steps.tsv
