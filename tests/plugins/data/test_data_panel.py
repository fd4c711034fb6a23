"""The Data views driven like a user with pytest-qt: review keys and the files they write,
charts and their exports, the map opening a sample, compare, cards, the sample workspace."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from studio.plugins.data.api import data_state
from studio.plugins.data.sample import write_quality_files, write_sample_dataset
from studio.shell.api import ViewContext

NAME = "alttp_test_20250101_120000"


class _Window:
    def __init__(self) -> None:
        self.views: dict = {}

    def show_view(self, view_id: str):
        return self.views.get(view_id)


@pytest.fixture
def loaded(studio):
    """A studio with the sample dataset and quality files, the dataset loaded and analysed."""
    root = studio.context.path
    truth = write_sample_dataset(root / "training" / "datasets" / NAME)
    write_quality_files(root)
    state = data_state(studio)
    studio.settings.set("data", "auto_analyse", False)
    job = state.open_dataset(truth.folder)
    job.future.result(60)
    state.analyse().future.result(120)
    state.reload_quality().future.result(30)
    return studio, state, truth


def _context(studio, view_id: str) -> ViewContext:
    return ViewContext(studio=studio, shell=None, window=_Window(), view_id=view_id)


def _review(qtbot, studio):
    from studio.plugins.data.widgets.review_view import ReviewView

    view = ReviewView(_context(studio, "data.review"))
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.list.count() > 0, timeout=5000)
    return view


def test_review_keys_write_hafs_files_and_undo(qtbot, loaded):
    studio, state, truth = loaded
    view = _review(qtbot, studio)
    view.split_filter.setCurrentIndex(view.split_filter.findData("rejected"))
    assert {k for k in view.visible_keys()} == {s.key for s in state.dataset.samples
                                               if s.split == "rejected"}
    view.list.setFocus()
    first = view.current_sample()
    qtbot.keyClick(view.list, Qt.Key.Key_A)  # approve
    qtbot.keyClick(view.list, Qt.Key.Key_J)  # next
    second = view.current_sample()
    assert second.key != first.key
    qtbot.keyClick(view.list, Qt.Key.Key_R)  # reject
    qtbot.keyClick(view.list, Qt.Key.Key_K)
    assert view.current_sample().key == first.key
    path = truth.folder / "user_annotations.json"
    qtbot.waitUntil(lambda: "Saved" in view.save_status.text() and not state.review.dirty,
                    timeout=10000)
    entries = {e["sample_key"]: e for e in json.loads(path.read_text())}
    assert entries[first.key]["user_approved"] is True
    assert entries[second.key]["decision"] == "rejected"
    accepted = (truth.folder / "manually_accepted.jsonl").read_text().splitlines()
    assert [json.loads(line)["_metadata"]["sample_key"] for line in accepted] == [first.key]
    qtbot.keyClick(view.list, Qt.Key.Key_U)  # undo the reject
    qtbot.waitUntil(lambda: len(json.loads(path.read_text())) == 1, timeout=10000)
    assert "✓" in view.list.item(view.visible_keys().index(first.key)).text()


def test_feedback_edit_and_filters(qtbot, loaded, monkeypatch):
    studio, state, truth = loaded
    view = _review(qtbot, studio)
    sample = view.current_sample()
    view.feedback.setPlainText("needs a comment on the carry flag")
    from studio.plugins.data.widgets import review_view

    monkeypatch.setattr(review_view.EditDialog, "exec", lambda self: True)
    monkeypatch.setattr(review_view.EditDialog, "texts",
                        lambda self: ("edited", "", "edited output"))
    view.list.setFocus()
    qtbot.keyClick(view.list, Qt.Key.Key_E)
    annotation = state.review.get(sample.key)
    assert annotation.feedback == "needs a comment on the carry flag"
    assert annotation.edited == ("edited", "", "edited output")
    view.review_filter.setCurrentIndex(view.review_filter.findData("edited"))
    assert view.visible_keys() == [sample.key]
    assert "Edited instruction" in view.view.toHtml()
    view.review_filter.setCurrentIndex(0)
    view.search.setText("oracle of secrets")
    assert view.visible_keys() and all("oracle of secrets" in (s.instruction + s.output).lower()
                                       for s in view.visible)
    view.search.clear()
    view.min_score.setValue(0.7)
    assert all(s.quality_score is not None and s.quality_score >= 0.7 for s in view.visible)
    path = truth.folder / "user_annotations.json"
    qtbot.waitUntil(lambda: path.exists() and "edited output" in path.read_text(), timeout=10000)


def test_near_duplicates_of_this_and_opening_from_the_map(qtbot, loaded):
    studio, state, truth = loaded
    view = _review(qtbot, studio)
    original_id, rejected_line = truth.planted[0]
    original = next(s for s in state.dataset.samples if s.sample_id == original_id)
    copy = next(s for s in state.dataset.samples
                if s.split == "rejected" and s.line == rejected_line)
    state.open_sample(original.key)  # what a click on the map or a cluster row does
    qtbot.waitUntil(lambda: view.current_sample() is not None
                    and view.current_sample().key == original.key, timeout=5000)
    view.near_button.setChecked(True)
    qtbot.waitUntil(lambda: set(view.visible_keys()) == {original.key, copy.key},
                    timeout=20000)
    view.near_button.setChecked(False)
    assert len(view.visible_keys()) == len(state.dataset.samples)


def test_charts_render_and_export(qtbot, loaded, tmp_path):
    from studio.plugins.data.widgets.diversity_view import DiversityView
    from studio.plugins.data.widgets.overview_view import OverviewView

    studio, state, _ = loaded
    overview = OverviewView(_context(studio, "data.overview"))
    qtbot.addWidget(overview)
    assert "acceptance <b>80.0 %</b>" in overview.header.text()
    domains = overview.charts["domains"]
    assert domains.table.column("accepted") == [
        r[1] for r in domains.table.rows]  # the chart draws the table it exports
    domains.export_png(tmp_path / "domains.png")
    domains.export_csv(tmp_path / "domains.csv")
    assert (tmp_path / "domains.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    csv = (tmp_path / "domains.csv").read_text().splitlines()
    assert csv[0] == "domain,accepted,rejected,acceptance_rate"
    assert len(csv) == 1 + len(domains.table.rows)
    qtbot.waitUntil(lambda: overview.trends_table.rowCount() > 0, timeout=5000)
    assert overview.charts["scores"].table.marks
    assert overview.charts["regions"].table.rows
    diversity = DiversityView(_context(studio, "data.diversity"))
    qtbot.addWidget(diversity)
    assert diversity.clusters.rowCount() == 16  # 8 pairs
    assert diversity.map.table is not None and len(diversity.map.table.rows) == 300
    opened = []
    state.studio.bus.subscribe("data.open-sample", lambda e: opened.append(e.key),
                               thread="publisher")
    diversity.clusters.selectRow(0)
    diversity._open_cluster_row(diversity.clusters.item(0, 0))
    assert opened == [diversity.clusters.item(0, 0).data(Qt.ItemDataRole.UserRole)]
    import pyqtgraph

    scatter = next(item for item in diversity.map.plot.getPlotItem().listDataItems()
                   if isinstance(item, pyqtgraph.ScatterPlotItem))
    point = scatter.points()[0]
    scatter.sigClicked.emit(scatter, [point], None)  # what a click on the point emits
    assert opened[-1] == point.data()
    assert opened[-1] in {s.key for s in state.dataset.samples}


def test_compare_with_another_dataset(qtbot, loaded):
    from studio.plugins.data.widgets.compare_view import CompareView

    studio, state, truth = loaded
    other = write_sample_dataset(truth.folder.parent / "alttp_other_20250102_120000", seed=8)
    view = CompareView(_context(studio, "data.compare"))
    qtbot.addWidget(view)
    view.other.setEditText(str(other.folder))
    view.compare()
    qtbot.waitUntil(lambda: view.summary.rowCount() > 0, timeout=60000)
    comparison = state.comparison
    left = {s.text for s in comparison.left.samples}
    right = {s.text for s in comparison.right.samples}
    assert comparison.identical == len(left & right)
    rows = {view.summary.item(r, 0).text(): view.summary.item(r, 1).text()
            for r in range(view.summary.rowCount())}
    assert rows["train samples"] == "192"


def test_cards_and_theme_switch(qtbot, studio_shell):
    studio = studio_shell.studio
    root = studio.context.path
    write_sample_dataset(root / "training" / "datasets" / NAME)
    from studio.plugins.data.widgets.cards import AcceptanceCard, TopRejectionCard

    context = ViewContext(studio=studio, shell=studio_shell, window=studio_shell.main_window,
                          view_id="data.acceptance")
    card = AcceptanceCard(context)
    qtbot.addWidget(card)
    qtbot.waitUntil(lambda: "80.0 %" in card.body.text(), timeout=5000)
    top = TopRejectionCard(context)
    qtbot.addWidget(top)
    qtbot.waitUntil(lambda: "of 60 rejected" in top.body.text(), timeout=5000)


def test_the_data_workspace_opens_the_newest_dataset(qtbot, studio_shell):
    studio = studio_shell.studio
    write_sample_dataset(studio.context.path / "training" / "datasets" / NAME)
    window = studio_shell.main_window
    window.switch_workspace("data")
    view = window.docks["data.datasets"].materialize()
    state = data_state(studio)
    qtbot.waitUntil(lambda: state.dataset is not None, timeout=20000)
    assert state.dataset.name == NAME and view.list.count() == 1
    qtbot.waitUntil(lambda: state.diversity is not None and not studio.jobs.running(),
                    timeout=120000)
    for theme in ("light", "cobalt"):
        if theme in [t for t, _ in studio_shell.available_themes()]:
            studio_shell.themes.apply(theme)


def test_datasets_view_lists_in_a_job_opens_the_newest_and_follows_the_folder(qtbot, studio):
    from studio.plugins.data.widgets.datasets_view import DatasetsView

    folder = studio.context.path / "training" / "datasets"
    write_sample_dataset(folder / NAME)
    studio.settings.set("data", "auto_analyse", False)
    view = DatasetsView(_context(studio, "data.datasets"))
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: NAME in view.list.item(0).text(), timeout=10000)
    state = data_state(studio)
    qtbot.waitUntil(lambda: state.dataset is not None, timeout=10000)
    assert state.dataset.name == NAME
    write_sample_dataset(folder / "alttp_sample_20260101_000000")  # hafs generated another
    studio.watcher.poll()
    qtbot.waitUntil(lambda: view.list.count() == 2, timeout=10000)
