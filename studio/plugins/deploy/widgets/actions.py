"""The Deploy commands' GUI side: "Deploy…" and "Test…" on a model, and opening views.

They run on the GUI thread and only switch views; reading deployments is a small file read.
"""

from __future__ import annotations

from typing import Any

from studio.plugins.deploy.api import deploy_manager
from studio.plugins.deploy.widgets.common import OpenChat
from studio.shell.api import current_shell

__all__ = ["deploy_model", "show_view", "test_model"]


def show_view(view_id: str) -> Any:
    """Switch the active window to the Deploy workspace and show ``view_id`` there."""
    shell = current_shell()
    window = shell.active_window() if shell is not None else None
    if window is None:
        return None
    window.switch_workspace("deploy")
    return window.show_view(view_id)


def deploy_model(studio: Any, model_id: str | None) -> None:
    view = show_view("deploy.pipeline")
    if view is not None and model_id:
        view.select_model(model_id)


def test_model(studio: Any, model_id: str | None) -> None:
    """Chat with the model's first deployment; without one, the pipeline to make one."""
    if not model_id:
        return
    deployments = deploy_manager(studio).for_model(model_id)
    if not deployments:
        view = show_view("deploy.pipeline")
        if view is not None:
            view.select_model(model_id)
            view.status.setText(f"{model_id} is not deployed yet: choose a backend and Deploy "
                                "(llama.cpp in-process needs no setup), then Test.")
        return
    show_view("deploy.chat")
    studio.bus.publish(OpenChat(deployment_id=deployments[0].id))
