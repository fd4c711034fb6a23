"""The Data plugin in a real studio: contributions, the service, jobs, reloads on change."""

from __future__ import annotations

import json

from studio.core.jobs import JobState
from studio.plugins.data.api import SERVICE, data_state
from studio.plugins.data.sample import SAMPLE_DATASET_NAME
from studio.plugins.data.state import DatasetLoaded, list_datasets


def test_contributions_and_service(studio):
    assert {"data.datasets", "data.overview", "data.diversity", "data.review",
            "data.compare"} <= set(studio.contributions.views)
    assert {"data.latest", "data.acceptance", "data.top-rejection"} <= set(
        studio.contributions.cards)
    assert studio.settings.get("data", "embedder") == "native-hashed"
    assert {"data.open-dataset", "data.open-jsonl", "data.analyse", "data.compare",
            "data.export", "data.reload-quality"} <= set(studio.commands.ids())
    state = data_state(studio)
    assert studio.services.owner_of(SERVICE) == "data"
    assert [s.id for s in state.embedders.items()] == ["native-hashed"]


def test_two_studios_share_no_state(studio_factory):
    from studio.testing import BUILTIN_PLUGINS

    one = studio_factory(builtins=BUILTIN_PLUGINS)
    two = studio_factory(builtins=BUILTIN_PLUGINS)
    assert data_state(one) is not data_state(two)
    assert data_state(one).embedders is not data_state(two).embedders


def test_sample_workspace_hook_writes_a_dataset_and_quality_files(studio):
    lines: list[str] = []
    studio.plugins.call_hook("studio_populate_sample_workspace", root=studio.context.path,
                             report=lines.append)
    folder = studio.context.path / "training" / "datasets" / SAMPLE_DATASET_NAME
    assert any(SAMPLE_DATASET_NAME in line for line in lines)
    assert [e.name for e in list_datasets(folder.parent)] == [SAMPLE_DATASET_NAME]
    state = data_state(studio)
    state.reload_quality().future.result(30)
    assert state.quality.integrity == 1.0


def test_a_rewritten_train_jsonl_reloads_the_dataset(studio, bus_spy):
    from studio.plugins.data.sample import write_sample_dataset

    truth = write_sample_dataset(studio.context.path / "training" / "datasets" / "d_20250101")
    state = data_state(studio)
    studio.settings.set("data", "auto_analyse", False)
    job = state.open_dataset(truth.folder)
    job.future.result(30)
    assert job.state is JobState.SUCCEEDED
    train = truth.folder / "train.jsonl"
    lines = train.read_text().splitlines()
    train.write_text("\n".join(lines[:-1]) + "\n")  # hafs's daemon replaced the file
    studio.watcher.poll()
    for job in studio.jobs.jobs():
        if job.future is not None:
            job.future.result(30)
    loaded = bus_spy.of_type(DatasetLoaded)
    assert loaded[-1].dataset.counts.splits["train"] == truth.splits["train"] - 1
    assert state.dataset is loaded[-1].dataset


def test_annotations_written_by_another_process_are_picked_up(studio):
    from studio.plugins.data.annotations import Annotation, AnnotationStore
    from studio.plugins.data.sample import write_sample_dataset

    truth = write_sample_dataset(studio.context.path / "training" / "datasets" / "d_20250101")
    state = data_state(studio)
    studio.settings.set("data", "auto_analyse", False)
    state.open_dataset(truth.folder).future.result(30)
    sample = state.dataset.samples[0]
    AnnotationStore(truth.folder).commit({sample.key: Annotation(
        sample.key, sample.split, sample.instruction, sample.input, sample.output,
        sample.domain, "rejected")})
    studio.watcher.poll()
    assert state.review.get(sample.key).decision == "rejected"
    entries = json.loads((truth.folder / "user_annotations.json").read_text())
    assert entries[0]["sample_key"] == sample.key
