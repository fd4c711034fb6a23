"""The Deploy plugin's public, Qt-free API: what other plugins and third-party backends use.

>>> from studio.plugins.deploy.api import deploy_manager, GenerationRequest, GenerationParams
>>> manager = deploy_manager(studio)
>>> stream = manager.generate(deployment_id, GenerationRequest.text("Hello"), GenerationParams())
>>> text = "".join(stream); stream.result.stats.tokens_per_second

A new backend subclasses :class:`Backend` and is registered through the
``studio_register_deploy_backends`` hook (``hookspecs.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.plugins.deploy.backend import (
    Availability,
    Backend,
    BackendUnavailableError,
    DeployArtifact,
    DeployError,
    DeploymentStatus,
    DeployOptions,
    Generation,
    GenerationError,
    GenerationParams,
    GenerationRequest,
    GenerationStream,
    Piece,
    ServerEval,
)
from studio.plugins.deploy.manager import DeployManager, DeploymentsChanged
from studio.plugins.deploy.store import Deployment
from studio.plugins.deploy.templates import ChatTemplate
from studio.plugins.deploy.timings import GenerationStats

if TYPE_CHECKING:
    from studio.api import Studio

__all__ = [
    "SERVICE",
    "Availability",
    "Backend",
    "BackendUnavailableError",
    "ChatTemplate",
    "DeployArtifact",
    "DeployError",
    "DeployManager",
    "DeployOptions",
    "Deployment",
    "DeploymentStatus",
    "DeploymentsChanged",
    "Generation",
    "GenerationError",
    "GenerationParams",
    "GenerationRequest",
    "GenerationStats",
    "GenerationStream",
    "Piece",
    "ServerEval",
    "deploy_manager",
]

SERVICE = "deploy"


def deploy_manager(studio: Studio) -> DeployManager:
    """The studio's :class:`DeployManager` (``ServiceUnavailableError`` if Deploy is off)."""
    return studio.services.get(SERVICE)
