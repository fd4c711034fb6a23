"""The Models views driven like a user with pytest-qt: filter, details, compare, jobs, files."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from entries import make_entry, sample_entries
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QMenu

from studio.api import CommandSpec
from studio.core.jobs import JobState, JobUpdated
from studio.plugins.models.api import ModelActionSpec, model_actions
from studio.plugins.models.registry import RegistryStore, registry_path
from studio.plugins.models.sample import make_sample_checkpoint
from studio.plugins.models.state import models_state
from studio.shell.api import ViewContext

SAMPLE_ID = "tiny-sample"


class _Window:
    """Stands in for the shell window: show_view creates the views on demand."""

    def __init__(self, studio) -> None:
        self.studio = studio
        self.views: dict = {}

    def show_view(self, view_id: str):
        return self.views.get(view_id)


@pytest.fixture
def context_root(studio) -> Path:
    root = studio.context.path
    store = RegistryStore(registry_path(root))
    for entry in sample_entries():
        store.add(entry)
    return root


def _context(studio, view_id: str = "models.list") -> ViewContext:
    return ViewContext(studio=studio, shell=None, window=_Window(studio), view_id=view_id)


def _list_view(qtbot, studio):
    from studio.plugins.models.widgets.list_view import ModelListView

    view = ModelListView(_context(studio))
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.snapshot.loaded, timeout=5000)
    return view


def test_filter_sort_and_keyboard(qtbot, studio, context_root):
    view = _list_view(qtbot, studio)
    assert sorted(view.visible_ids()) == sorted(e["model_id"] for e in sample_entries())
    qtbot.keyClicks(view.search, "oracle")
    assert sorted(view.visible_ids()) == ["oracle-debugger", "oracle-rauru-asm"]
    assert "2 of 4 models" in view.status.text()
    view.search.clear()
    view.role_filter.setCurrentIndex(view.role_filter.findData("yaze"))
    assert view.visible_ids() == ["yaze-helper"]
    view.role_filter.setCurrentIndex(0)
    view.location_filter.setCurrentIndex(view.location_filter.findData("windows"))
    assert sorted(view.visible_ids()) == ["general-chat", "oracle-rauru-asm"]
    view.location_filter.setCurrentIndex(0)
    view.backend_filter.setCurrentIndex(view.backend_filter.findData("ollama"))
    assert view.visible_ids() == ["oracle-debugger"]
    view.backend_filter.setCurrentIndex(0)
    view.table.sortByColumn(3, Qt.SortOrder.AscendingOrder)  # final loss; unknown last
    assert view.visible_ids() == ["yaze-helper", "oracle-rauru-asm", "oracle-debugger",
                                  "general-chat"]
    view.table.setFocus()
    view.table.setCurrentIndex(view.proxy.index(0, 0))
    qtbot.keyClick(view.table, Qt.Key.Key_Down)
    assert models_state(studio).selected == "oracle-rauru-asm"


def test_details_show_every_field_and_the_loss_curve(qtbot, studio, tmp_path):
    from studio.plugins.models.widgets.details_view import ModelDetailsView

    folder = tmp_path / SAMPLE_ID
    make_sample_checkpoint(folder)
    state = models_state(studio)
    state.service.register(folder, model_id=SAMPLE_ID, role="asm",
                           dataset_quality={"acceptance_rate": 0.81})
    state.reload_now()
    details = ModelDetailsView(_context(studio, "models.details"))
    qtbot.addWidget(details)
    state.select(SAMPLE_ID)
    qtbot.waitUntil(lambda: details.entry is not None, timeout=3000)
    assert details.field_text("model_id") == SAMPLE_ID
    assert details.field_text("dataset_quality") == "acceptance_rate: 81.0%"
    assert "r: 16" in details.field_text("lora_config")
    assert "mac (primary)" in details.field_text("locations")
    qtbot.waitUntil(lambda: details.curve is not None and details.curve.isVisibleTo(details),
                    timeout=5000)
    curves = details.curve.plot.getPlotItem().listDataItems()
    assert [c.name() for c in curves] == ["train", "eval"]


def test_compare_highlights_differences(qtbot, studio, context_root):
    from studio.plugins.models.widgets.compare_view import CompareView

    models_state(studio).reload_now()
    view = CompareView(_context(studio, "models.compare"))
    qtbot.addWidget(view)
    view.set_pair("oracle-rauru-asm", "oracle-debugger")
    assert view.table.rowCount() == 36
    differing = view.differing_fields()
    assert {"role", "final_loss", "deployed_backends", "locations"} <= set(differing)
    assert "group" not in differing
    view.only_diff.setChecked(True)
    assert view.table.rowCount() == len(differing)
    assert view.cell(0, 0).startswith("≠ ")


def test_convert_job_shows_progress_and_cancels(qtbot, studio, tmp_path, monkeypatch):
    from studio.plugins.models.hf_to_gguf import convert as convert_module
    from studio.plugins.models.widgets import actions

    folder = tmp_path / SAMPLE_ID
    make_sample_checkpoint(folder)
    state = models_state(studio)
    state.service.register(folder, model_id=SAMPLE_ID)
    view = _list_view(qtbot, studio)

    # Hold the converter after its first chunk until the test has pressed Cancel, so the
    # outcome does not depend on how fast this machine converts a tiny model.
    gate = threading.Event()
    original = convert_module._converted_chunks

    def gated(*args, **kwargs):
        for number, chunk in enumerate(original(*args, **kwargs)):
            if number == 0:
                gate.wait(10)
            yield chunk

    monkeypatch.setattr(convert_module, "_converted_chunks", gated)
    finished: list[JobUpdated] = []
    studio.bus.subscribe(JobUpdated.topic, lambda e: e.state.finished and finished.append(e),
                         owner="test", thread="publisher")
    job = actions.submit_convert(studio, SAMPLE_ID, "f16")
    qtbot.waitUntil(lambda: not view.jobs.isHidden() and view.jobs.job_id == job.id, timeout=5000)
    assert "Convert" in view.jobs.title.text()
    qtbot.mouseClick(view.jobs.cancel_button, Qt.MouseButton.LeftButton)
    gate.set()
    qtbot.waitUntil(lambda: bool(finished), timeout=10000)
    assert finished[0].state is JobState.CANCELLED
    assert not list(folder.rglob("*.gguf*")), "a cancelled conversion leaves no file"
    qtbot.waitUntil(view.jobs.isHidden, timeout=5000)

    monkeypatch.setattr(convert_module, "_converted_chunks", original)
    with qtbot.waitSignal(view.listener.snapshot, timeout=10000,
                          check_params_cb=lambda s: "gguf" in (s.get(SAMPLE_ID) or {}).get(
                              "formats", [])):
        done = actions.submit_convert(studio, SAMPLE_ID, "f16")
    assert done.state is JobState.SUCCEEDED
    assert (folder / f"{SAMPLE_ID}-f16.gguf").is_file()
    row = view.model.row_of(SAMPLE_ID)
    assert "gguf" in view.model.index(row, 6).data()


def test_external_edit_appears_within_a_second(qtbot, studio, context_root):
    view = _list_view(qtbot, studio)
    hafs = RegistryStore(registry_path(context_root))  # another program writing the file
    with qtbot.waitSignal(view.listener.snapshot, timeout=1000,
                          check_params_cb=lambda s: len(s.models) == 5):
        hafs.add(make_entry("written-by-hafs", display_name="Written by hafs"))
    assert "written-by-hafs" in view.visible_ids()


def test_corrupt_registry_shows_position_and_stays_read_only(qtbot, studio, context_root):
    view = _list_view(qtbot, studio)
    path = registry_path(context_root)
    broken = path.read_text().replace('"version": "1.0",', '"version": "1.0",,', 1)
    with qtbot.waitSignal(view.listener.snapshot, timeout=2000,
                          check_params_cb=lambda s: s.error is not None):
        path.write_text(broken)
    assert view.banner.isVisibleTo(view)
    text = view.banner.label.text()
    assert f"{path}:2:" in text and "read-only" in text
    assert not view.register_button.isEnabled()
    assert "read-only" in view.status.text()
    assert len(view.visible_ids()) == 4, "the last good entries stay visible"
    assert path.read_text() == broken, "the damaged file is never rewritten"
    assert path.with_name("registry.json.bak").read_text() == broken


def test_register_dialog_detects_validates_and_registers(qtbot, studio, tmp_path):
    from studio.plugins.models.widgets import actions

    folder = tmp_path / "My Tiny Model"
    make_sample_checkpoint(folder)
    state = models_state(studio)
    state.reload_now()
    dialog = actions.register_model(studio, str(folder))
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.detection is not None, timeout=5000)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert dialog.id_edit.text() == "My Tiny Model"  # hafs's default: the folder's name
    assert dialog.role_combo.currentText() == "asm"  # from the hafs metadata.json
    assert "Qwen2ForCausalLM" in dialog.detected.text()
    dialog.id_edit.setText("two\nlines")
    assert not ok.isEnabled() and "control character" in dialog.problem.text()
    dialog.id_edit.setText("My Tiny Model")
    assert ok.isEnabled()
    with qtbot.waitSignal(_snapshot_signal(qtbot, studio), timeout=5000,
                          check_params_cb=lambda s: s.get("My Tiny Model") is not None):
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    entry = state.service.info("My Tiny Model")
    assert entry["locations"] == {"mac": str(folder)}


def _snapshot_signal(qtbot, studio):
    """A registry-snapshot signal that lives as long as the test (owned by a kept widget)."""
    from PySide6.QtWidgets import QWidget

    from studio.plugins.models.widgets.common import StateListener

    owner = QWidget()
    qtbot.addWidget(owner)
    owner.listener = StateListener(models_state(studio), owner)
    _kept.append(owner)
    return owner.listener.snapshot


_kept: list = []


def test_inspector_reads_a_gguf(qtbot, studio, tmp_path):
    from studio.plugins.models.api import ModelsService
    from studio.plugins.models.widgets.inspector_view import InspectorView

    folder = tmp_path / SAMPLE_ID
    make_sample_checkpoint(folder)
    result = ModelsService(tmp_path / "ctx").convert(folder, outtype="f16")
    view = InspectorView()
    qtbot.addWidget(view)
    view.open_file(result.path)
    qtbot.waitUntil(lambda: view.info is not None, timeout=5000)
    assert view.tensor_model.rowCount() == len(view.info.tensors) > 0
    keys = [row[0] for row in view.metadata_model.rows]
    assert "general.architecture" in keys and "tokenizer.ggml.tokens" in keys
    tokens = next(r for r in view.metadata_model.rows if r[0] == "tokenizer.ggml.tokens")
    assert "array[string]" in tokens[1] and "…" in tokens[2]  # long arrays summarized
    assert "parameters" in view.summary.text() and "estimated RAM" in view.summary.text()
    assert view.totals_model.rows[0][0] in ("F16", "F32")


def _deploy_plugin(calls: list):
    """A third-party plugin ("acme": the built-in deploy plugin is loaded too) adding "Deploy to
    Ollama…" on models through the Models plugin's own hook."""
    from studio.testing import make_plugin

    def register_commands(register):
        register(CommandSpec("acme.ollama", "Deploy to Ollama…",
                             lambda context: calls.append(context.selection),
                             icon="mdi6.rocket-launch-outline", selection="model"))

    def register_model_actions(register):
        register(ModelActionSpec("acme.ollama", group="deploy", order=70,
                                 applies=lambda entry: entry["role"] != "yaze"))

    return make_plugin("acme", requires=("models",),
                       studio_register_commands=register_commands,
                       studio_register_model_actions=register_model_actions)


def test_contributed_model_actions_appear_in_the_menu(qtbot, studio_factory):
    from studio.testing import BUILTIN_PLUGINS

    calls: list = []
    studio = studio_factory([("acme", _deploy_plugin(calls))], builtins=BUILTIN_PLUGINS)
    store = RegistryStore(registry_path(studio.context.path))
    for entry in sample_entries():
        store.add(entry)
    (action_spec,) = [a for a in model_actions(studio) if a.plugin == "acme"]
    assert action_spec.command_id == "acme.ollama"
    view = _list_view(qtbot, studio)
    view.select_model("oracle-rauru-asm")
    menu = QMenu()
    view._fill_menu(menu)
    studio.selection.set("model", "general-chat")  # the menu acts on its row, not on this
    action = next(a for a in menu.actions() if a.text() == "Deploy to Ollama…")
    assert action.isEnabled()
    action.trigger()
    assert calls == [("oracle-rauru-asm",)]
    view.select_model("yaze-helper")
    menu = QMenu()
    view._fill_menu(menu)
    assert "Deploy to Ollama…" not in [a.text() for a in menu.actions()]
    # The Models plugin's own actions come from the same table and commands.
    titles = [a.text() for a in menu.actions() if a.text()]
    assert titles[:3] == ["Show Model Details", "Convert to GGUF…", "Quantize GGUF…"]
    assert "Remove Model from Registry…" in titles and "Reload Model Registry" in titles

    studio.disable_plugin("acme")  # live: its action leaves every menu at once
    view.select_model("oracle-rauru-asm")
    menu = QMenu()
    view._fill_menu(menu)
    assert "Deploy to Ollama…" not in [a.text() for a in menu.actions()]


def test_dashboard_cards_summarize(qtbot, studio, context_root):
    from studio.plugins.models.widgets.cards import LatestCard, PendingCard, RolesCard

    models_state(studio).reload_now()
    roles, latest, pending = (card(_context(studio)) for card in (RolesCard, LatestCard,
                                                                  PendingCard))
    for card in (roles, latest, pending):
        qtbot.addWidget(card)
    assert ">4</span> models" in roles.body.text() and "asm" in roles.body.text()
    assert "Oracle: Rauru Assembler" in latest.body.text() or latest.body.text()
    assert "<b>3</b> not converted" in pending.body.text()
    assert "<b>3</b> not deployed" in pending.body.text()


def test_sample_workspace_hook_registers_a_real_model(studio, tmp_path):
    lines: list[str] = []
    studio.plugins.call_hook("studio_populate_sample_workspace", root=tmp_path,
                             report=lines.append)
    registry = json.loads(registry_path(tmp_path).read_text())
    (_model_id, entry), = registry["models"].items()
    assert entry["role"] == "asm" and "gguf" in entry["formats"]
    assert any("Converted" in line for line in lines)
    assert any("Quantized" in line or "Skipped quantization" in line for line in lines)


def test_convert_dialog_offers_llama_cpp_only_when_found(qtbot, tmp_path):
    from studio.plugins.models.widgets.dialogs import ConvertDialog

    plain = ConvertDialog(None, tmp_path, "f16")
    qtbot.addWidget(plain)
    assert plain.converter is None and "converter" not in plain.choices()
    script = tmp_path / "llama.cpp" / "convert_hf_to_gguf.py"
    offered = ConvertDialog(None, tmp_path, "f16", llama_cpp_script=script)
    qtbot.addWidget(offered)
    assert offered.converter is not None and offered.converter.count() == 2
    assert offered.choices()["converter"] == "builtin"  # the built-in one stays the default
    offered.converter.setCurrentIndex(1)
    assert offered.choices() == {"outtype": "f16", "out": None, "converter": "llama.cpp",
                                 "overwrite": False}  # an existing file is kept by default
    offered.overwrite.setChecked(True)
    assert offered.choices()["overwrite"] is True


def test_a_registry_hafs_wrote_shows_every_model_and_its_damage(qtbot, studio):
    """25-key entry, NaN loss, a newer hafs's key, an id with spaces, one damaged entry."""
    import math

    from hafs_loader import hafs_save

    from studio.plugins.models.widgets.details_view import ModelDetailsView

    newer = dict(make_entry("oracle-newer", display_name="From a newer hafs"))
    newer["eval_accuracy"] = 0.93
    short = {k: v for k, v in dict(make_entry("oracle-short")).items()
             if k not in ("formats", "locations", "primary_location", "deployed_backends",
                          "ollama_model_name", "halext_node_id", "git_commit", "notes", "tags",
                          "created_at", "updated_at")}
    broken = dict(short, model_id="oracle-broken")
    del broken["perplexity"]
    hafs_save(registry_path(studio.context.path), {
        "oracle-newer": newer, "oracle-short": short, "My Model": dict(make_entry("My Model")),
        "oracle-nan": dict(make_entry("oracle-nan", final_loss=math.nan)),
        "oracle-broken": broken})
    view = _list_view(qtbot, studio)
    assert sorted(m["model_id"] for m in view.snapshot.models) == [
        "My Model", "oracle-nan", "oracle-newer", "oracle-short"]
    assert view.proxy.rowCount() == 4
    assert view.register_button.isEnabled()  # still writable
    assert not view.banner.isHidden()
    banner = view.banner.label.text()
    assert "1 model in the registry cannot be read" in banner
    assert "registry.json:" in banner and "oracle-broken" in banner and "perplexity" in banner
    assert "stays writable" in banner
    nan_row = view.model.row_of("oracle-nan")
    assert nan_row >= 0
    details = ModelDetailsView(_context(studio, "models.details"))
    qtbot.addWidget(details)
    models_state(studio).select("oracle-nan")
    qtbot.waitUntil(lambda: (details.entry or {}).get("model_id") == "oracle-nan", timeout=3000)
    # The previous entry's labels are deleted on the next event-loop pass: wait for them.
    qtbot.waitUntil(lambda: details.field_text("final_loss") == "NaN", timeout=3000)
    models_state(studio).select("oracle-newer")
    qtbot.waitUntil(lambda: details.entry["model_id"] == "oracle-newer", timeout=3000)
    qtbot.waitUntil(lambda: "eval_accuracy" in [label.text() for label in
                                                 details.findChildren(QLabel)], timeout=3000)
    assert "0.93" in [label.text() for label in details.findChildren(QLabel)]
