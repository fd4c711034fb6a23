"""The Deploy views driven like a user (pytest-qt): pipeline, deployments, chat, prompt sets."""

from __future__ import annotations

from deploy_helpers import MODEL_ID
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from studio.core.jobs import JobContext
from studio.plugins.deploy.api import DeployOptions, deploy_manager
from studio.plugins.models.api import ModelsService
from studio.shell.api import ViewContext

WAIT = 60_000


class _Window:
    """Stands in for the shell window: records which views were asked for."""

    def __init__(self) -> None:
        self.shown: list[str] = []

    def show_view(self, view_id: str):
        self.shown.append(view_id)


def _view(qtbot, studio, cls_path: str):
    module, cls = cls_path.rsplit(".", 1)
    import importlib

    view = getattr(importlib.import_module(f"studio.plugins.deploy.widgets.{module}"), cls)(
        ViewContext(studio=studio, shell=None, window=_Window(), view_id=cls))
    qtbot.addWidget(view)
    return view


def _backend_button(view, backend_id: str):
    return next(b for b in view.backend_group.buttons()
                if b.property("backend_id") == backend_id)


def _pipeline(qtbot, studio):
    view = _view(qtbot, studio, "pipeline_view.PipelineView")
    qtbot.waitUntil(lambda: view.model_box.findData(MODEL_ID) >= 0 and
                    len(view._availability) == len(deploy_manager(studio).backends),
                    timeout=WAIT)
    return view


def test_pipeline_shows_each_step_then_deploys_and_tests(qtbot, studio, context,
                                                         fake_ollama):
    view = _pipeline(qtbot, studio)
    assert not view.deploy_button.isEnabled() or view.plan is not None
    texts = [view.backend_box.itemAt(i).widget().text()
             for i in range(view.backend_box.count())]
    assert any("llama-cpp-python" in t for t in texts)
    assert any(f"Ollama 0.6.5 at {studio.settings.get('deploy', 'ollama_url')}" in t
               for t in texts)
    _backend_button(view, "llama.cpp").setChecked(True)
    view.quant_box.setCurrentIndex(view.quant_box.findData("Q8_0"))
    qtbot.waitUntil(lambda: view.plan is not None and view.plan.quant == "Q8_0"
                    and view.deploy_button.isEnabled(), timeout=WAIT)
    assert "Hugging Face checkpoint · Qwen2ForCausalLM" in view.source_text.text()
    assert "Convert: Hugging Face checkpoint → Q8_0 GGUF" in view.gguf_text.text()
    assert "8.5 bits/weight · 8-bit; practically lossless" in view.quant_text.text()

    qtbot.mouseClick(view.deploy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.job is None, timeout=WAIT)
    assert view.status.text().startswith("Deployed"), (view.status.text(), studio.jobs.jobs())
    assert view.deployment.quant == "Q8_0" and view.test_button.isEnabled()
    assert ModelsService(context).info(MODEL_ID)["deployed_backends"] == []
    qtbot.mouseClick(view.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "tok/s" in view.test_text.text(), timeout=WAIT)
    qtbot.mouseClick(view.chat_button, Qt.MouseButton.LeftButton)
    assert view.context.window.shown == ["deploy.chat"]
    # The plan now reuses what the deploy produced.
    qtbot.waitUntil(lambda: view.plan is not None and view.plan.reuse is not None,
                    timeout=WAIT)
    assert view.gguf_text.text().startswith("Use the existing tiny-qwen-chat-Q8_0.gguf")


def test_pipeline_cancel_leaves_nothing_and_failure_is_shown(qtbot, studio, context,
                                                              fake_ollama):
    view = _pipeline(qtbot, studio)
    _backend_button(view, "ollama").setChecked(True)
    view.quant_box.setCurrentIndex(view.quant_box.findData(None))  # keep as is (F16)
    qtbot.waitUntil(lambda: view.plan is not None and view.deploy_button.isEnabled(),
                    timeout=WAIT)
    fake_ollama.hold_uploads = True
    qtbot.mouseClick(view.deploy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(fake_ollama.holding.is_set, timeout=WAIT)
    assert view.cancel_button.isEnabled() and not view.deploy_button.isEnabled()
    qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
    fake_ollama.release.set()
    qtbot.waitUntil(lambda: view.status.text() == "Cancelled; nothing was recorded.",
                    timeout=WAIT)
    assert fake_ollama.models == {} and deploy_manager(studio).deployments() == []
    assert ModelsService(context).info(MODEL_ID)["deployed_backends"] == []

    fake_ollama.hold_uploads = False
    fake_ollama.fail_create = "no space left on device"
    qtbot.mouseClick(view.deploy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.status.text().startswith("Deploy failed"), timeout=WAIT)
    assert "no space left on device" in view.status.text()
    assert view.status.property("role") == "error"


def test_deployments_table_stop_remove(qtbot, studio, fake_ollama, monkeypatch):
    manager = deploy_manager(studio)
    deployment = manager.deploy(JobContext(), MODEL_ID, "ollama", DeployOptions())
    view = _view(qtbot, studio, "deployments_view.DeploymentsView")
    qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=WAIT)
    assert view.table.item(0, 0).text() == deployment.id
    assert view.table.item(0, 4).text() == "idle"
    assert "model tiny-qwen-chat" in view.table.item(0, 5).text()
    view.table.selectRow(0)
    manager.generate(deployment, _chat("hi"), _greedy()).run()  # Ollama loads it
    qtbot.mouseClick(view.buttons["refresh"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.table.item(0, 4).text() == "ready", timeout=WAIT)
    qtbot.mouseClick(view.buttons["stop"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.table.item(0, 4).text() == "idle", timeout=WAIT)
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    view.table.selectRow(0)
    qtbot.mouseClick(view.buttons["remove"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.table.rowCount() == 0, timeout=WAIT)
    assert manager.deployments() == []


def _chat(text: str):
    from studio.plugins.deploy.api import GenerationRequest

    return GenerationRequest.chat([{"role": "user", "content": text}])


def _greedy():
    from studio.plugins.deploy.api import GenerationParams

    return GenerationParams(max_tokens=8, temperature=0)


def test_chat_streams_shows_timings_and_stops(qtbot, studio, fake_ollama):
    manager = deploy_manager(studio)
    local = manager.deploy(JobContext(), MODEL_ID, "llama.cpp", DeployOptions())
    remote = manager.deploy(JobContext(), MODEL_ID, "ollama", DeployOptions())
    view = _view(qtbot, studio, "chat_view.ChatView")
    qtbot.waitUntil(lambda: view.deployment_box.count() == 2, timeout=WAIT)
    view.open_deployment(local.id)
    view.system.setText("You write 65816 assembly.")
    view.temperature.setValue(0)
    view.max_tokens.setValue(12)
    qtbot.keyClicks(view.input, "hello world")
    qtbot.mouseClick(view.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "tok/s" in view.stats.text(), timeout=WAIT)
    html = view.transcript.toPlainText()
    assert "hello world" in html and "TTFT" in html and "You write 65816 assembly." in html
    assert [t.role for t in view.session.turns] == ["user", "assistant"]
    # A second turn carries the first one in its prompt (multi-turn).
    qtbot.keyClicks(view.input, "and again")
    qtbot.mouseClick(view.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(view.session.turns) == 4 and not view.session.busy,
                    timeout=WAIT)
    assert view.session.turns[3].stats.prompt_tokens > view.session.turns[1].stats.prompt_tokens

    # Stop mid-answer: the server pauses after two tokens until the test lets it go on.
    view.open_deployment(remote.id)
    assert view.session.deployment.id == remote.id and view.session.turns == []
    view.max_tokens.setValue(100)
    fake_ollama.pause_after_tokens = 2
    qtbot.keyClicks(view.input, "tell me more")
    qtbot.mouseClick(view.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: fake_ollama.holding.is_set() and view.stop_button.isEnabled(),
                    timeout=WAIT)
    qtbot.mouseClick(view.stop_button, Qt.MouseButton.LeftButton)
    fake_ollama.release.set()
    qtbot.waitUntil(lambda: "cancelled" in view.stats.text(), timeout=WAIT)
    assert view.session.turns[-1].stats.finish_reason == "cancelled"
    assert view.send_button.isEnabled() and not view.stop_button.isEnabled()


def test_prompt_sets_side_by_side_diff_export_history(qtbot, studio, tmp_path, monkeypatch):
    manager = deploy_manager(studio)
    f16 = manager.deploy(JobContext(), MODEL_ID, "llama.cpp", DeployOptions(quant="F16"))
    q8 = manager.deploy(JobContext(), MODEL_ID, "llama.cpp", DeployOptions(quant="Q8_0"))
    path = tmp_path / "set.yaml"
    path.write_text("name: gui\nparams: {temperature: 0, max_tokens: 8}\nprompts:\n"
                    "  - {id: any, prompt: hello, expect_regex: ['(?s).']}\n"
                    "  - {id: never, prompt: world, expect: [never-produced]}\n")
    view = _view(qtbot, studio, "prompts_view.PromptSetView")
    qtbot.waitUntil(lambda: view.targets.count() == 2, timeout=WAIT)
    view.load_set(path)
    qtbot.waitUntil(lambda: view.prompt_set is not None, timeout=WAIT)
    for index in range(2):
        view.targets.item(index).setCheckState(Qt.CheckState.Checked)
    assert view.run_button.isEnabled()
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.job is None and view.run is not None
                    and len(view.run.results) == 4, timeout=WAIT)
    cells = [view.table.item(r, c).text() for r in range(2) for c in (1, 2)]
    assert cells[0].startswith("pass · ") and cells[0].endswith("tok/s")
    assert cells[2].startswith("FAIL")
    assert {view.table.horizontalHeaderItem(c).text() for c in (1, 2)} == {f16.label, q8.label}
    view.table.setCurrentCell(1, 1)
    assert "missing 'never-produced'" in view.answer.toPlainText()
    qtbot.mouseClick(view.diff_button, Qt.MouseButton.LeftButton)
    assert "## any:" in view.answer.toPlainText()
    target = tmp_path / "out.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    qtbot.mouseClick(view.csv_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(target.exists, timeout=WAIT)
    assert target.read_text().startswith("case,prompt,deployment")
    qtbot.waitUntil(lambda: view.history.count() == 2, timeout=WAIT)
    assert [r.id for r in manager.history.runs(MODEL_ID)] == [view.run.id]


def test_model_actions_open_the_deploy_workspace(qtbot, studio):
    from studio.plugins.models.api import ModelsService, model_actions
    from studio.testing import shown_shell

    entry = ModelsService(studio.context).info(MODEL_ID)
    actions = [a.command_id for a in model_actions(studio, entry)]
    assert actions[-2:] == ["deploy.deploy-model", "deploy.test-model"]
    with shown_shell(qtbot, studio) as shell:
        window = shell.active_window()
        studio.commands.execute("deploy.test-model", selection=[MODEL_ID])  # not deployed yet
        pipeline = window.show_view("deploy.pipeline")
        assert window.workspace == "deploy"
        qtbot.waitUntil(lambda: pipeline.model_box.currentData() == MODEL_ID, timeout=WAIT)
        assert "is not deployed yet" in pipeline.status.text()
        deployment = deploy_manager(studio).deploy(JobContext(), MODEL_ID, "llama.cpp",
                                                   DeployOptions())
        studio.commands.execute("deploy.test-model", selection=[MODEL_ID])
        chat = window.show_view("deploy.chat")
        qtbot.waitUntil(lambda: chat.deployment_box.currentData() == deployment.id,
                        timeout=WAIT)
        studio.commands.execute("deploy.prompt-sets")
        assert window.show_view("deploy.prompts").isVisible()
