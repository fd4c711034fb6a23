"""Finding something to test a model on: an existing deployment, else a temporary one.

Used by ``hafs-studio test`` and the panel's Test step. hafs's ``models test`` requires the
backend to be deployed already; the studio also offers a throw-away in-process deployment
(llama.cpp or CTranslate2) so that a freshly converted model can be tried at once. A temporary
deployment is never recorded and is unloaded by :meth:`ProbeTarget.release`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.plugins.deploy.backend import DeployError, DeployOptions
from studio.plugins.deploy.store import Deployment

__all__ = ["IN_PROCESS", "ProbeTarget", "find_or_start"]

IN_PROCESS = ("llama.cpp", "ct2")


@dataclass
class ProbeTarget:
    deployment: Deployment
    temporary: bool
    manager: Any

    def release(self) -> None:
        if self.temporary:
            self.manager.backend_of(self.deployment).stop(self.deployment)


def _matches(deployment: Deployment, model: str) -> bool:
    if deployment.model_id == model:
        return True
    candidate = Path(model).expanduser()
    return candidate.exists() and Path(deployment.artifact).resolve() == candidate.resolve()


def find_or_start(manager: Any, model: str, backend_id: str | None, options: DeployOptions,
                  run_job: Callable[..., Any]) -> ProbeTarget:
    """A deployment of ``model`` (on ``backend_id`` if given) to send prompts to."""
    found = [d for d in manager.deployments() if _matches(d, model)
             and (backend_id is None or d.backend == backend_id)]
    usable = [d for d in found if manager.status(d).ok]
    if usable or found:
        return ProbeTarget((usable or found)[0], False, manager)
    backend_id = backend_id or "llama.cpp"
    if backend_id not in IN_PROCESS:
        raise DeployError(f"{model} is not deployed on {backend_id}; deploy it first: "
                          f"hafs-studio deploy {model} --backend {backend_id}")
    deployment = run_job(f"Load {Path(model).name} ({backend_id}, temporary)", manager.deploy,
                         model, backend_id, options, False)
    return ProbeTarget(deployment, True, manager)
