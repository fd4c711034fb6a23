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


def _counting_embedder(calls: list[int]):
    import numpy as np

    from studio.plugins.data.api import EmbedderSpec

    def embed(texts, ctx):
        calls.append(len(texts))
        return np.ones((len(texts), 4), dtype=np.float32)

    return EmbedderSpec("counting", "Counting", embed, version="1")


def test_a_plugin_adds_an_embedder_through_the_data_hook(studio_factory):
    """studio_register_embedders is declared by the Data plugin and collected at its start;
    the chosen embedder is used by the analysis, and a contributor disabled live drops out
    (the setting then falls back to the built-in, saying why)."""
    from studio.testing import BUILTIN_PLUGINS, make_contributor

    calls: list[int] = []
    extra = make_contributor("extra-embedder", "studio_register_embedders",
                             _counting_embedder(calls), optional=("data",))
    studio = studio_factory([("extra-embedder", extra)], builtins=BUILTIN_PLUGINS)
    record = studio.plugins.records["data"]
    assert "studio_register_embedders" in record.hookspecs
    state = data_state(studio)
    assert {(s.id, s.plugin) for s in state.embedders.items()} == {
        ("native-hashed", "data"), ("counting", "extra-embedder")}
    studio.settings.set("data", "embedder", "counting")
    spec, note = state.embedder()
    assert (spec.id, note) == ("counting", "")
    studio.disable_plugin("extra-embedder")
    spec, note = state.embedder()
    assert spec.id == "native-hashed" and "no embedder 'counting'" in note


def test_an_embedder_hook_without_the_data_plugin_is_a_warning_when_optional(studio_factory):
    from studio.testing import builtins_without, make_contributor

    extra = make_contributor("extra-embedder", "studio_register_embedders",
                             _counting_embedder([]), optional=("data",))
    studio = studio_factory([("extra-embedder", extra)], builtins=builtins_without("data"))
    assert studio.plugins.records["extra-embedder"].state.value == "active"


def test_a_dataset_folder_hafs_adds_is_listed_by_the_folder_watch(studio, bus_spy):
    from studio.plugins.data.events import DatasetsListed
    from studio.plugins.data.sample import write_sample_dataset

    state = data_state(studio)
    folder = studio.context.path / "training" / "datasets"
    write_sample_dataset(folder / "d_20250101")
    studio.watcher.poll()
    listed = bus_spy.of_type(DatasetsListed)
    assert listed and [e.name for e in listed[-1].entries] == ["d_20250101"]
    assert state.entries == listed[-1].entries
    bus_spy.clear()
    (folder / "d_20250101" / "metadata.json").unlink()  # hafs rewrites it: the folder's mtime
    studio.watcher.poll()
    assert bus_spy.of_type(DatasetsListed)[-1].entries[0].train is None


def test_near_duplicates_of_a_sample_run_as_a_job(studio, bus_spy):
    from studio.plugins.data.events import NearDuplicatesFound
    from studio.plugins.data.sample import write_sample_dataset

    truth = write_sample_dataset(studio.context.path / "training" / "datasets" / "d_20250101")
    state = data_state(studio)
    studio.settings.set("data", "auto_analyse", False)
    state.open_dataset(truth.folder).future.result(30)
    samples = state.dataset.samples
    job = state.find_near_duplicates(samples[0].key)
    assert job.future.result(30) is bus_spy.of_type(NearDuplicatesFound)[-1]
    event = bus_spy.of_type(NearDuplicatesFound)[-1]
    assert event.matches[0] == (samples[0].key, 1.0) and not event.error
    missing = state.find_near_duplicates("no-such-key").future.result(30)
    assert "no sample 'no-such-key'" in missing.error
