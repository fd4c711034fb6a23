"""The Context workspace's views with pytest-qt: browser, editor, pager, hex view, Q&A.

Every wait is on a condition (``qtbot.waitUntil``/``waitSignal``), never a sleep.
"""

from __future__ import annotations

import json
import struct

import pytest
from PySide6.QtCore import Qt

from studio.plugins.context.api import open_path, reveal
from studio.plugins.context.kinds import FileKind
from studio.plugins.context.widgets.tree_model import ENTRY_ROLE, PATH_ROLE
from studio.testing import BUILTIN_PLUGINS, shown_shell


@pytest.fixture
def shell(qtbot, studio_factory, tree):
    studio = studio_factory(builtins=BUILTIN_PLUGINS, context=tree.root)
    with shown_shell(qtbot, studio, (1400, 900)) as shell:
        shell.main_window.switch_workspace("context")
        yield shell


def _view(shell, qtbot, view_id):
    window = shell.main_window
    view = window.show_view(view_id)
    qtbot.waitUntil(lambda: window.docks[view_id].materialized)
    return view


def _rows(model, parent):
    return {model.index(r, 0, parent).data(): model.index(r, 0, parent)
            for r in range(model.rowCount(parent))}


def test_browser_lists_kinds_filters_and_follows_the_disk(shell, qtbot, tree):
    browser = _view(shell, qtbot, "context.browser")
    model = browser.model
    root = model.index(0, 0)
    qtbot.waitUntil(lambda: model.rowCount(root) >= 8)
    rows = _rows(model, root)
    assert rows["models"].siblingAtColumn(1).data().startswith("hafs: ")
    models = rows["models"]
    browser.tree.expand(browser.proxy.mapFromSource(models))
    qtbot.waitUntil(lambda: model.rowCount(models) == 3)
    kinds = {name: index.data(ENTRY_ROLE).kind for name, index in _rows(model, models).items()}
    assert kinds["oracle-asm.Q8_0.gguf"] == FileKind.GGUF
    assert kinds["registry.json"] == FileKind.REGISTRY
    assert _rows(model, models)["oracle-asm.Q8_0.gguf"].siblingAtColumn(2).data() == "10.6 KiB"
    # live: a file written by another program appears in the expanded folder
    (tree.root / "models" / "new-model.gguf").write_bytes(tree.gguf.read_bytes())
    qtbot.waitUntil(lambda: "new-model.gguf" in _rows(model, models), timeout=10_000)
    (tree.root / "models" / "new-model.gguf").unlink()
    qtbot.waitUntil(lambda: "new-model.gguf" not in _rows(model, models), timeout=10_000)
    # the filter shows matching loaded names with their folders
    browser.filter.setText("registry")
    qtbot.waitUntil(lambda: browser.proxy.rowCount(browser.proxy.index(0, 0)) == 1)


def _menu_titles(menu) -> list[str]:
    return [action.text() for action in menu.actions() if action.text()]


def test_a_gguf_offers_other_plugins_file_commands(shell, qtbot, tree):
    """Models' "Inspect in GGUF Inspector" (a command on the "file" selection) is in the
    browser's menu of a .gguf, not of other files, and opens that file in the inspector."""
    browser = shell.main_window.docks["context.browser"].materialize()

    def menu_of(path):
        assert reveal(shell.studio, path)
        qtbot.waitUntil(lambda: browser.tree.currentIndex().data(PATH_ROLE) == str(path))
        return browser.menu_for(browser.tree.currentIndex())

    assert "Inspect in GGUF Inspector" not in _menu_titles(menu_of(tree.json))
    menu = menu_of(tree.gguf)
    inspect = next(a for a in menu.actions() if a.text() == "Inspect in GGUF Inspector")
    inspect.trigger()
    window = shell.main_window
    qtbot.waitUntil(lambda: "models.inspector" in window.docks
                    and window.docks["models.inspector"].materialized)
    inspector = window.docks["models.inspector"].widget()
    qtbot.waitUntil(lambda: inspector.info is not None, timeout=20000)
    assert inspector.path == tree.gguf


def test_reveal_expands_to_a_nested_file(shell, qtbot, tree):
    assert reveal(shell.studio, tree.trainer_state)
    browser = shell.main_window.docks["context.browser"].materialize()
    qtbot.waitUntil(lambda: browser.current_node() is not None
                    and browser.current_node().path == str(tree.trainer_state))
    assert shell.main_window.workspace == "context"


def test_editor_validates_saves_and_offers_reload_and_merge(shell, qtbot, tree):
    tree.json.write_text('{"a": 1, "b": [1, 2, 3]}\n')
    tab = _open(shell, qtbot, tree.json)
    assert tab.text() == '{"a": 1, "b": [1, 2, 3]}\n'
    tab.editor.setPlainText('{"a": 1,\n "b": [1, 2, 3\n}\n')
    qtbot.waitUntil(lambda: bool(tab.problems))
    assert (tab.problems[0].line, tab.problems[0].column) == (3, 1)
    assert "line 3" in tab.problem_label.text()
    tab.editor.setPlainText('{"a": 2, "b": [1, 2, 3]}\n')
    qtbot.waitUntil(lambda: tab.problems == [])
    with qtbot.waitSignal(tab.saved, timeout=5000):
        qtbot.keyClick(tab.editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert tree.json.read_text() == '{"a": 2, "b": [1, 2, 3]}\n' and not tab.dirty
    # hafs rewrites the file; our unsaved edit is kept and a merge is offered
    saved = '{\n  "a": 2,\n  "b": [1, 2, 3],\n  "c": 0\n}\n'
    tab.editor.setPlainText(saved)
    with qtbot.waitSignal(tab.saved, timeout=5000):
        tab.save()
    tab.editor.setPlainText(saved.replace('"a": 2', '"a": 3'))
    tree.json.write_text(saved.replace('"c": 0', '"c": 4'))
    qtbot.waitUntil(tab.banner.isVisible, timeout=5000)
    assert "changed on disk" in tab.banner.label.text()
    tab.merge()
    qtbot.waitUntil(lambda: '"c": 4' in tab.text())
    assert tab.text() == saved.replace('"a": 2', '"a": 3').replace('"c": 0', '"c": 4')
    with qtbot.waitSignal(tab.saved, timeout=5000):
        tab.save()
    assert tree.json.read_text() == tab.text()


def test_editor_refuses_a_registry_save_that_hafs_would_drop(shell, qtbot, tree):
    tab = _open(shell, qtbot, tree.registry)
    before = tree.registry.read_text()
    tab.editor.setPlainText(before.replace('"notes": ""', '"notes": "", "rating": 5'))
    qtbot.waitUntil(lambda: any(p.severity == "refuse" for p in tab.problems))
    tab.save()
    qtbot.waitUntil(tab.banner.isVisible)
    assert "hafs would drop data" in tab.banner.label.text()
    assert tree.registry.read_text() == before


def _open(shell, qtbot, path, how="edit"):
    assert open_path(shell.studio, path, how)
    editor = shell.main_window.docks["context.editor"].materialize()
    tab = editor.current()
    if how == "edit" and hasattr(tab, "document"):
        qtbot.waitUntil(lambda: tab.document is not None)
    return tab


def test_big_text_opens_read_only_by_pages(shell, qtbot, tree):
    shell.studio.settings.set("context", "edit_limit_mb", 1)
    big = tree.root / "notes" / "big.jsonl"
    lines = [json.dumps({"i": i, "pad": "x" * 200}) for i in range(12_000)]
    big.write_text("\n".join(lines) + "\n")
    tab = _open(shell, qtbot, big, "auto")
    assert type(tab).__name__ == "PagerTab" and "Read-only" in tab.note.text()
    qtbot.waitUntil(lambda: tab.pager.indexed, timeout=10_000)
    assert tab.editor.isReadOnly()
    tab.go_to_line(9_001)
    qtbot.waitUntil(lambda: tab.page is not None and tab.page.number == 4)
    assert tab.editor.textCursor().block().text() == lines[9_000]
    assert tab.editor.current_line() == 9_001


def test_hex_view_structure_search_and_values(shell, qtbot, tree):
    tab = _open(shell, qtbot, tree.gguf, "auto")
    assert type(tab).__name__ == "HexTab"
    qtbot.waitUntil(lambda: tab.layout_info is not None)
    data = tree.gguf.read_bytes()
    # click a tensor region in the structure panel: its bytes are selected
    group = next(tab.structure.topLevelItem(i) for i in range(tab.structure.topLevelItemCount())
                 if tab.structure.topLevelItem(i).text(0) == "Tensor data")
    item = group.child(1)
    region = item.data(0, Qt.ItemDataRole.UserRole)
    tab._region_clicked(item)
    assert tab.view.selection == (region.start, region.end)
    assert region.name in tab.region_label.text()
    # values decoded at the selection agree with struct
    tab.go_to(8)
    table = tab.values
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "uint64")
    assert table.item(row, 1).text() == f"{struct.unpack_from('<Q', data, 8)[0]:,}"
    assert table.item(row, 2).text() == f"{struct.unpack_from('>Q', data, 8)[0]:,}"
    # search text as a job: the match is selected
    tab.search_mode.setCurrentText("text")
    tab.search_field.setText("tok17")
    with qtbot.waitSignal(tab.search_done, timeout=10_000) as found:
        tab.search()
    assert found.args == [data.find(b"tok17", 1)]
    assert tab.view.selection == (data.find(b"tok17"), data.find(b"tok17") + 5)
    # clicking a byte shows the field it belongs to
    tab.go_to(30)
    assert "general.architecture" in tab.region_label.text()


def test_hex_edit_mode_changes_only_the_copy(shell, qtbot, tree, tmp_path):
    tab = _open(shell, qtbot, tree.gguf, "hex")
    before = tree.gguf.read_bytes()
    job = tab.make_copy(str(tmp_path / "edit.gguf"))
    editor = shell.main_window.docks["context.editor"].materialize()
    qtbot.waitUntil(lambda: editor.tabs.count() == 2 and editor.current().file is not None
                    and editor.current().file.writable)
    assert job.result == tmp_path / "edit.gguf"
    copy_tab = editor.current()
    copy_tab.go_to(4)
    qtbot.keyClicks(copy_tab.view, "0f")
    copy_tab.flush()
    assert (tmp_path / "edit.gguf").read_bytes()[4] == 0x0F
    assert tree.gguf.read_bytes() == before
    # the original's view ignores typing
    tab.go_to(4)
    qtbot.keyClicks(tab.view, "00")
    assert tree.gguf.read_bytes() == before


def test_qa_view_answers_skips_and_says_no_model(shell, qtbot, tree):
    view = _view(shell, qtbot, "context.qa")
    qtbot.waitUntil(lambda: view.questions.count() == 4)
    assert "No language model is deployed" in view.model_note.text()
    first = view.current_question()
    assert first.id == "q_nmi_handler_nmi.asm_2"  # advanced, priority 0.9: ranked first
    assert view.code.current_line() == 2
    view.answer.setPlainText("Force blank lets DMA write VRAM safely.")
    with qtbot.waitSignal(view.answered, timeout=5000):
        view.save_answer()
    answered = json.loads((tree.training / "answered_questions.json").read_text())
    assert answered[0]["question"]["question_id"] == first.id
    qtbot.waitUntil(lambda: view.questions.item(0).text().startswith("✓"))
    view.questions.setCurrentRow(1)
    with qtbot.waitSignal(view.skipped, timeout=5000):
        view.skip_current()
    skipped = json.loads((tree.training / "skipped_questions.json").read_text())
    assert skipped["skipped_ids"] == [view.batch[1].id]


def test_pins_view_toggles_and_removes(shell, qtbot, tree):
    from studio.plugins.context.widgets import actions

    actions.pin_paths(shell.studio, [str(tree.asm), str(tree.dataset)])
    view = shell.main_window.docks["context.pins"].materialize()
    assert view.list.count() == 2
    view.list.item(0).setCheckState(Qt.CheckState.Unchecked)
    store = view.store
    assert [p.enabled for p in store.pins()] == [False, True]
    assert store.export_text() == f"{tree.dataset}\n"
    view.list.setCurrentRow(1)
    view.remove_selected()
    assert [p.path for p in store.pins()] == [str(tree.asm)]
