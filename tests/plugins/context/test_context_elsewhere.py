"""Opening files that belong to other workspaces: a model's files from the Models list, a log.

A real registry and real GGUF files (the gguf package's writer); the Models plugin is the real
one. No Logs plugin exists yet: a log must then open in the editor (the degraded path).
"""

from __future__ import annotations

import json
import shutil

import pytest

from studio.plugins.context.elsewhere import ModelFilesError, log_opener, model_files, model_ggufs
from studio.plugins.models.api import model_actions
from studio.testing import BUILTIN_PLUGINS, builtins_without, shown_shell


def _register_model_folder(tree, model_id="oracle-asm"):
    """Give the registered model a folder with two GGUFs, the F16 named as hafs names it."""
    folder = tree.root / "models" / model_id
    folder.mkdir()
    shutil.copy(tree.gguf, folder / f"{model_id}-Q8_0.gguf")
    shutil.copy(tree.gguf, folder / f"{model_id}-f16.gguf")
    (folder / "config.json").write_text("{}")
    data = json.loads(tree.registry.read_text())
    data["models"][model_id]["locations"] = {"mac": str(folder), "windows": "D:/models/x"}
    data["models"][model_id]["primary_location"] = "mac"
    tree.registry.write_text(json.dumps(data, indent=2))
    return folder


def test_model_ggufs_f16_first_then_by_name(tmp_path):
    for name in ("m-Q8_0.gguf", "m-f16.gguf", "m-Q4_K_M.gguf", "notes.txt"):
        (tmp_path / name).write_bytes(b"GGUF")
    assert [p.name for p in model_ggufs(tmp_path)] == ["m-f16.gguf", "m-Q4_K_M.gguf",
                                                       "m-Q8_0.gguf"]
    assert model_ggufs(tmp_path / "m-Q8_0.gguf") == (tmp_path / "m-Q8_0.gguf",)
    assert model_ggufs(tmp_path / "notes.txt") == ()
    assert model_ggufs(tmp_path / "missing") == ()


def test_model_files_from_the_registry_and_clear_errors(studio_factory, tree):
    studio = studio_factory(builtins=BUILTIN_PLUGINS, context=tree.root)
    with pytest.raises(ModelFilesError, match="no files on this machine"):
        model_files(studio, "oracle-asm")  # registered without a location here
    folder = _register_model_folder(tree)
    files = model_files(studio, "oracle-asm")
    assert files.location == folder and files.folder == folder
    assert files.ggufs[0].name == "oracle-asm-f16.gguf" and len(files.ggufs) == 2
    with pytest.raises(ModelFilesError, match=r"'ghost' is not in .*registry\.json"):
        model_files(studio, "ghost")


def test_no_logs_plugin_means_no_log_opener(studio_factory, tree):
    studio = studio_factory(builtins=builtins_without("logs"), context=tree.root)
    assert "logs" not in studio.plugins.records
    assert log_opener(studio) is None


def test_a_log_opens_in_the_logs_workspace_when_logs_is_active(studio_factory, qtbot, tree):
    from studio.plugins.logs.api import logs_service

    studio = studio_factory(builtins=BUILTIN_PLUGINS, context=tree.root)
    assert log_opener(studio) is not None
    with shown_shell(qtbot, studio, (1400, 900)) as shell:
        from studio.plugins.context.api import open_path

        assert open_path(studio, tree.log)
        qtbot.waitUntil(lambda: shell.main_window.workspace == "logs" and any(
            view.tabs.count() for view in logs_service(studio).views), timeout=10_000)
        view = next(iter(logs_service(studio).views))
        assert view.current_tab().doc.path == tree.log.absolute()
    studio.disable_plugin("logs")  # live: logs fall back to the editor at once
    assert log_opener(studio) is None


def test_models_list_offers_the_context_actions_and_they_open_here(studio_factory, qtbot, tree):
    folder = _register_model_folder(tree)
    studio = studio_factory(builtins=builtins_without("logs"), context=tree.root)
    ids = [a.command_id for a in model_actions(studio)]
    assert "context.reveal-model" in ids and "context.open-model-gguf" in ids
    with shown_shell(qtbot, studio, (1400, 900)) as shell:
        studio.commands.execute("context.open-model-gguf", selection=("oracle-asm",))
        editor = shell.main_window.docks["context.editor"].materialize()
        qtbot.waitUntil(lambda: editor.current() is not None
                        and type(editor.current()).__name__ == "HexTab", timeout=10_000)
        assert editor.current().path == folder / "oracle-asm-f16.gguf"
        studio.commands.execute("context.reveal-model", selection=("oracle-asm",))
        browser = shell.main_window.docks["context.browser"].materialize()
        qtbot.waitUntil(lambda: browser.current_node() is not None
                        and browser.current_node().path == str(folder), timeout=10_000)
        # a log opens in the editor while no Logs plugin publishes open_log
        from studio.plugins.context.api import open_path

        assert open_path(studio, tree.log)
        qtbot.waitUntil(lambda: getattr(editor.current(), "path", None) == tree.log)
        assert type(editor.current()).__name__ == "TextTab"


def test_without_models_the_actions_are_simply_absent(studio_factory, tree):
    studio = studio_factory(builtins=builtins_without("models"), context=tree.root)
    assert studio.plugins.records["context"].state.live
    assert "context.reveal-model" in studio.commands.ids()
