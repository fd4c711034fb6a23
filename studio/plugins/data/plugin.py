"""The Data plugin's hook implementations: views, commands, settings, cards, CLI, sample data.

Nothing here imports Qt (the CLI loads this module too); widgets are imported by the view
factories the first time a view is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.api import (
    CliCommandSpec,
    CommandSpec,
    DashboardCardSpec,
    SettingField,
    SettingsSectionSpec,
    ViewSpec,
    hookimpl,
)
from studio.shell.api import lazy_widget

if TYPE_CHECKING:
    from studio.api import Studio

DATASETS_VIEW = "data.datasets"
OVERVIEW_VIEW = "data.overview"
DIVERSITY_VIEW = "data.diversity"
REVIEW_VIEW = "data.review"
COMPARE_VIEW = "data.compare"


def _view(module: str, cls: str) -> Callable[[Any], Any]:
    return lazy_widget(f"studio.plugins.data.widgets.{module}", cls)


@hookimpl
def studio_register_views(register: Callable[[ViewSpec], None]) -> None:
    register(ViewSpec(DATASETS_VIEW, "Datasets", _view("datasets_view", "DatasetsView"),
                      "mdi6.database-outline", "left", ("data",),
                      "hafs dataset folders, file status and the quality-file audit"))
    register(ViewSpec(OVERVIEW_VIEW, "Data Overview", _view("overview_view", "OverviewView"),
                      "mdi6.chart-bar", "right", ("data",),
                      "Acceptance, rejection reasons, domains, quality scores, trends, "
                      "coverage and training runs"))
    register(ViewSpec(DIVERSITY_VIEW, "Diversity", _view("diversity_view", "DiversityView"),
                      "mdi6.scatter-plot-outline", "right", ("data",),
                      "Distinct-n, Vendi score, near-duplicate clusters, lengths and the "
                      "embedding map"))
    register(ViewSpec(REVIEW_VIEW, "Sample Review", _view("review_view", "ReviewView"),
                      "mdi6.clipboard-check-outline", "bottom", ("data",),
                      "Browse, approve, reject, edit and annotate samples (j/k, a/r, e)"))
    register(ViewSpec(COMPARE_VIEW, "Compare Datasets", _view("compare_view", "CompareView"),
                      "mdi6.compare-horizontal", "bottom", ("data",),
                      "Two datasets side by side: sizes, rates, diversity, overlap"))


def _action(name: str, studio: Studio) -> Callable[[], Any]:
    def handler() -> Any:
        from studio.plugins.data.widgets import actions

        return getattr(actions, name)(studio)

    return handler


def _has_gui() -> bool:
    from studio.shell.api import current_shell

    return current_shell() is not None


def _has_dataset(studio: Studio) -> bool:
    from studio.plugins.data.api import data_state

    return _has_gui() and data_state(studio).dataset is not None


@hookimpl
def studio_register_commands(register: Callable[[CommandSpec], None], studio: Studio) -> None:
    def add(  # noqa: PLR0917 - a compact table of commands reads best positionally
            command_id: str, title: str, handler: str, icon: str,
            enabled: Callable[[], bool], description: str = "") -> None:
        register(CommandSpec(f"data.{command_id}", title, _action(handler, studio), None,
                             "Data", icon, "Data", enabled_when=enabled,
                             description=description))

    add("open-dataset", "Open Dataset Folder…", "open_dataset_folder", "mdi6.folder-open-outline",
        _has_gui, "Load a hafs dataset folder (train/val/test/rejected JSONL)")
    add("open-jsonl", "Open JSONL File…", "open_jsonl_file", "mdi6.file-document-outline",
        _has_gui, "Load any JSONL dataset with a field mapping")
    add("analyse", "Analyse Diversity", "analyse", "mdi6.chart-scatter-plot",
        lambda: _has_dataset(studio),
        "Embeddings, distinct-n, Vendi score, near-duplicates, lengths, the map")
    add("compare", "Compare With Dataset…", "compare", "mdi6.compare-horizontal",
        lambda: _has_dataset(studio))
    add("export", "Export Samples…", "export", "mdi6.export", lambda: _has_dataset(studio),
        "The filtered samples as alpaca, messages or ChatML JSONL, with a manifest")
    add("reload-quality", "Reload hafs Quality Files", "reload_quality", "mdi6.refresh",
        _has_gui)


def _validate_threshold(value: Any) -> None:
    if not 0.0 < float(value) < 1.0:
        raise ValueError("the threshold must be between 0 and 1 (exclusive)")


@hookimpl
def studio_register_settings(register: Callable[[SettingsSectionSpec], None]) -> None:
    register(SettingsSectionSpec("data", "Data", (
        SettingField("embedder", "str", "native-hashed", "Embedder",
                     "Id of the sentence embedder for diversity and the map; "
                     "native-hashed is built in (no download). Plugins add others."),
        SettingField("near_duplicate_threshold", "float", 0.8, "Near-duplicate threshold",
                     "Jaccard of 5-character shingles at or above which two samples are "
                     "near-duplicates.", minimum=0.05, maximum=0.99,
                     validate=_validate_threshold),
        SettingField("map_method", "choice", "pca", "Map projection",
                     "UMAP needs the umap-learn package; without it PCA is used.",
                     choices=("pca", "umap")),
        SettingField("tokenizer_json", "path", "", "Tokenizer for token lengths",
                     "A tokenizer.json (or a model folder holding one), read with the "
                     "'tokenizers' package; empty: lengths in characters."),
        SettingField("auto_analyse", "bool", True, "Analyse datasets when they open",
                     "Embeddings, diversity, near-duplicates and the map for datasets of up to "
                     "50,000 samples; larger ones wait for Analyse."),
        SettingField("autosave", "bool", True, "Autosave review annotations",
                     "Write user_annotations.json a moment after each review action."),
    ), "Dataset analytics and sample review."))


@hookimpl
def studio_register_dashboard_cards(register: Callable[[DashboardCardSpec], None]) -> None:
    register(DashboardCardSpec("data.latest", "Latest dataset",
                               _view("cards", "LatestDatasetCard"), order=50))
    register(DashboardCardSpec("data.acceptance", "Acceptance rate",
                               _view("cards", "AcceptanceCard"), order=51))
    register(DashboardCardSpec("data.top-rejection", "Top rejection reason",
                               _view("cards", "TopRejectionCard"), order=52))


@hookimpl
def studio_register_cli(register: Callable[[CliCommandSpec], None]) -> None:
    from studio.plugins.data.cli import app

    register(CliCommandSpec("data", app, "Datasets: stats, near-duplicates, diversity, export."))


@hookimpl
def studio_populate_sample_workspace(root: Path, report: Callable[[str], None]) -> None:
    from studio.plugins.data.sample import populate_sample_data

    populate_sample_data(Path(root), report)


@hookimpl
def studio_add_hookspecs(add: Callable[[Any], None]) -> None:
    from studio.plugins.data import hookspecs

    add(hookspecs)


@hookimpl
def studio_register_embedders(register: Callable[[Any], None]) -> None:
    from studio.plugins.data.embeddings import hashed_ngram_embedder

    register(hashed_ngram_embedder())  # the built-in goes through the hook like any other


@hookimpl
def studio_startup(studio: Studio) -> None:
    from studio.plugins.data.api import SERVICE
    from studio.plugins.data.embeddings import EmbedderRegistry, EmbedderSpec
    from studio.plugins.data.state import DataState

    embedders = EmbedderRegistry(studio.plugins.collect("studio_register_embedders",
                                                        EmbedderSpec))
    studio.services.provide(SERVICE, DataState(studio, embedders), owner="data")


@hookimpl
def studio_shutdown(studio: Studio) -> None:
    from studio.plugins.data.api import SERVICE

    if studio.services.has(SERVICE):
        studio.services.get(SERVICE).close()
        studio.services.withdraw_owned("data")
