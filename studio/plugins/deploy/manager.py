"""One studio's deployments: backends, the deploy job, the store, generation, the registry.

:class:`DeployManager` is the Deploy plugin's per-studio service (``studio.services`` name
``"deploy"``; :func:`studio.plugins.deploy.api.deploy_manager`). The panel, the CLI and other
plugins go through it, so a deploy records the same things whoever starts it:

1. the plan's convert/quantize steps (Models plugin API), then the backend's ``deploy``,
   all in one job with progress and cancel;
2. only then the deployment record (studio state) and, for backends hafs knows, the model's
   ``deployed_backends`` (+ ``ollama_model_name``…) in registry.json. If recording fails, what
   the backend created is removed again: nothing is half-recorded.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.api import Event, EventBus, Job, JobContext
from studio.plugins.deploy.backend import (
    Availability,
    Backend,
    DeployError,
    DeploymentStatus,
    DeployOptions,
    GenerationParams,
    GenerationRequest,
    GenerationStream,
)
from studio.plugins.deploy.pipeline import (
    DeployPlan,
    StageContext,
    plan_deploy,
    prepare_artifact,
    resolve_source,
)
from studio.plugins.deploy.prompt_runs import RunHistory
from studio.plugins.deploy.store import Deployment, DeploymentStore, new_deployment_id
from studio.plugins.models.api import ModelsService, RegistryError

__all__ = ["DeployManager", "DeploymentsChanged"]


@dataclass(frozen=True, slots=True)
class DeploymentsChanged(Event):
    """A deployment was added, stopped or removed (the Deploy views refresh)."""

    topic = "deploy.deployments"
    deployment_id: str = ""
    change: str = ""  # "added", "stopped", "removed"


class DeployManager:
    """Backends, deployments and generation for one studio (Qt-free; thread-safe)."""

    def __init__(self, context: Any, state_dir: str | Path, *, backends: Any,
                 bus: EventBus | None = None, jobs: Any = None) -> None:
        """``context``: the studio's ContextRoot (or a folder holding ``models/``);
        ``backends``: the table of ``studio_register_deploy_backends`` contributions."""
        self.models = ModelsService(context)
        self.state_dir = Path(state_dir) / "deploy"
        self.store = DeploymentStore(self.state_dir)
        self.history = RunHistory(self.state_dir / "history")
        self.backends = backends
        self.bus = bus
        self.jobs = jobs

    def backend(self, backend_id: str) -> Backend:
        try:
            return self.backends.get(backend_id)
        except KeyError:
            known = ", ".join(self.backends.ids())
            raise DeployError(f"no deploy backend {backend_id!r} (known: {known})") from None

    def availability(self) -> dict[str, Availability]:
        """Each backend's availability (calls every ``available()``; keep off the GUI thread)."""
        return {backend.id: self.availability_of(backend.id) for backend in self.backends.items()}

    def availability_of(self, backend_id: str) -> Availability:
        """One backend's availability (may import or probe the network: off the GUI thread)."""
        try:
            return self.backend(backend_id).available()
        except Exception as exc:  # a plugin's backend must not break the list
            return Availability(False, f"{type(exc).__name__}: {exc}")

    # -- planning and deploying ----------------------------------------------------------
    def plan(self, model: str, backend_id: str, quant: str | None = None) -> DeployPlan:
        """What a deploy would do (reads files: call it off the GUI thread)."""
        backend = self.backend(backend_id)
        return plan_deploy(self.models, resolve_source(self.models, model), backend, quant)

    def submit_deploy(self, model: str, backend_id: str, options: DeployOptions) -> Job:
        """Run :meth:`deploy` as a job (GUI); the job's result is the :class:`Deployment`."""
        if self.jobs is None:
            raise RuntimeError("this manager has no job runner")
        title = f"Deploy {Path(model).name} on {self.backend(backend_id).name}"
        return self.jobs.submit(title, self.deploy, model, backend_id, options)

    def deploy(self, ctx: JobContext, model: str, backend_id: str, options: DeployOptions,
               record: bool = True) -> Deployment:
        """Plan, prepare the artifact, deploy, then record. Raises DeployError/JobCancelled.

        ``record=False`` makes a throw-away deployment (``hafs-studio test`` of a model that
        is not deployed): nothing is stored or written to the registry; stop it when done.
        """
        backend = self.backend(backend_id)
        availability = backend.available()
        if not availability:
            raise DeployError(f"{backend.name} is not available: {availability.reason}")
        ctx.report(0.0, "Planning")
        source = resolve_source(self.models, model)
        quant = options.compute_type if backend.artifact == "hf" else options.quant
        plan = plan_deploy(self.models, source, backend, quant)
        if record and backend.registry_backend and source.model_id:
            self._check_registry_writable()
        artifact = prepare_artifact(self.models, plan, StageContext(ctx, 0.0, 0.5))
        ctx.raise_if_cancelled()
        deployment_id = new_deployment_id(backend.id, source.model_id or source.path.stem)
        ctx.report(0.5, f"Deploying on {backend.name}")
        result = backend.deploy(artifact, options, deployment_id, StageContext(ctx, 0.5, 0.97))
        deployment = Deployment(
            deployment_id, backend.id, source.model_id,
            str(result.get("artifact") or artifact.path),
            str(result.get("artifact_kind") or artifact.kind), str(result["endpoint"]),
            quant=result.get("quant") or artifact.quant,
            template=result.get("template") or artifact.template,
            options=dict(result.get("options") or {}), data=dict(result.get("data") or {}))
        if record:
            self._record(backend, deployment, dict(result.get("registry") or {}))
        ctx.report(1.0, f"Deployed {deployment.label}")
        return deployment

    def _check_registry_writable(self) -> None:
        try:
            self.models.load()
        except RegistryError as exc:
            raise DeployError(f"the model registry cannot be updated: {exc}") from exc
        if self.models.registry.read_only:
            raise DeployError(f"{self.models.registry.path} is read-only; nothing was deployed")

    def _record(self, backend: Backend, deployment: Deployment,
                registry_fields: dict[str, Any]) -> None:
        """Store the record and update registry.json; undo everything if either fails."""
        try:
            self.store.add(deployment)
        except Exception:
            backend.undeploy(deployment)
            raise
        if backend.registry_backend and deployment.model_id:
            try:
                self._registry_add(deployment.model_id, backend.registry_backend,
                                   registry_fields)
            except Exception as exc:
                self.store.remove(deployment.id)
                backend.undeploy(deployment)
                raise DeployError(f"deployed, but the registry could not record it ({exc}); "
                                  "the deployment was removed again") from exc
        self._publish(deployment.id, "added")

    def _registry_add(self, model_id: str, backend_name: str, fields: dict[str, Any]) -> None:
        def change(entry: Any) -> None:
            if backend_name not in entry["deployed_backends"]:
                entry["deployed_backends"].append(backend_name)
            entry.update(fields)

        self.models.registry.edit(model_id, change)

    def _registry_forget(self, deployment: Deployment, backend: Backend) -> None:
        """After removing the last deployment of a model on a backend, hafs forgets it too."""
        name = backend.registry_backend
        if not name or not deployment.model_id:
            return
        others = [d for d in self.store.load() if d.model_id == deployment.model_id
                  and d.backend == deployment.backend and d.id != deployment.id]
        if others:
            return

        def change(entry: Any) -> None:
            entry["deployed_backends"] = [b for b in entry["deployed_backends"] if b != name]
            if name == "ollama":
                entry["ollama_model_name"] = None
            if name == "halext-node":
                entry["halext_node_id"] = None

        with contextlib.suppress(RegistryError):  # the model left the registry meanwhile
            self.models.registry.edit(deployment.model_id, change)

    # -- deployments ---------------------------------------------------------------------
    def deployments(self) -> list[Deployment]:
        return self.store.load()

    def get(self, deployment_id: str) -> Deployment:
        return self.store.get(deployment_id)

    def backend_of(self, deployment: Deployment) -> Backend:
        return self.backend(deployment.backend)

    def status(self, deployment: Deployment) -> DeploymentStatus:
        try:
            return self.backend_of(deployment).status(deployment)
        except Exception as exc:  # a backend (plugin) failing must not break the table
            return DeploymentStatus("error", f"{type(exc).__name__}: {exc}")

    def stop(self, deployment_id: str) -> Deployment:
        deployment = self.get(deployment_id)
        self.backend_of(deployment).stop(deployment)
        self._publish(deployment_id, "stopped")
        return deployment

    def remove(self, deployment_id: str, undeploy: bool = True) -> Deployment:
        """Forget a deployment; ``undeploy`` also removes it at the backend (Ollama model)."""
        deployment = self.get(deployment_id)
        backend = self.backend_of(deployment)
        if undeploy:
            backend.undeploy(deployment)
        else:
            backend.stop(deployment)
        self._registry_forget(deployment, backend)
        self.store.remove(deployment_id)
        self._publish(deployment_id, "removed")
        return deployment

    def for_model(self, model_id: str, backend_id: str | None = None) -> list[Deployment]:
        return [d for d in self.deployments() if d.model_id == model_id
                and (backend_id is None or d.backend == backend_id)]

    # -- generation ----------------------------------------------------------------------
    def generate(self, deployment: Deployment | str, request: GenerationRequest,
                 params: GenerationParams) -> GenerationStream:
        """Start a generation; iterate the stream on a worker thread (never the GUI thread)."""
        if isinstance(deployment, str):
            deployment = self.get(deployment)
        return self.backend_of(deployment).generate(deployment, request, params)

    def close(self) -> None:
        """Unload every in-process engine (studio exit)."""
        for backend in self.backends.items():
            close = getattr(backend, "close", None)
            if close is not None:
                close()

    def _publish(self, deployment_id: str, change: str) -> None:
        if self.bus is not None:
            self.bus.publish(DeploymentsChanged(deployment_id=deployment_id, change=change))
