"""The shared services of one studio, reachable from ``studio.services``.

Core services (managed processes, remote hosts, external tools) are attributes declared by
:class:`~studio.core.app.Studio` with :meth:`Services.declare` and built on first use, so their
modules (subprocess groups, asyncssh's manager, the tools manifest) stay off the window's first
frame; plugins publish their own per-studio service (the Models
plugin's live registry, a deploy manager) with :meth:`Services.provide` and other plugins find
it with :meth:`Services.get`. Nothing here is module-level: two studios in one process (tests)
never share state, and everything a plugin provided is withdrawn when that plugin is torn down.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from studio.core.process import ProcessManager
    from studio.core.remote_manager import RemoteManager
    from studio.core.tools import ToolRegistry

__all__ = ["ServiceUnavailableError", "Services"]


class ServiceUnavailableError(KeyError):
    """No active plugin provides the service; the message names it."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "service unavailable"


class Services:
    """Core services as attributes; plugin services by name with their owner recorded."""

    process: ProcessManager  # managed subprocesses (studio.core.process)
    remote: RemoteManager  # one shared SSH connection per host (studio.core.remote_manager)
    tools: ToolRegistry  # external programs: manifest, overrides, plugin tools

    def __init__(self) -> None:
        self._provided: dict[str, tuple[Any, str]] = {}
        self._factories: dict[str, Callable[[], Any]] = {}
        self._lock = threading.Lock()
        # Re-entrant: building one core service may read another.
        self._building = threading.RLock()

    def declare(self, name: str, factory: Callable[[], Any]) -> None:
        """A core service attribute ``name``, built by ``factory`` when first read."""
        self._factories[name] = factory

    def __getattr__(self, name: str) -> Any:
        # Only called for attributes not set yet: a declared core service not built so far.
        factories = self.__dict__.get("_factories", {})
        if name not in factories:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        with self._building:
            if name not in self.__dict__:
                self.__dict__[name] = factories[name]()
        return self.__dict__[name]

    def built(self, name: str) -> Any | None:
        """The core service ``name`` if something has used it yet (None: nothing to stop)."""
        return self.__dict__.get(name)

    def provide(self, name: str, service: Any, owner: str) -> None:
        """Publish ``service`` under ``name`` on behalf of plugin ``owner``.

        A name is provided once: a second provider is a programming error and raises.
        """
        with self._lock:
            if name in self._provided:
                raise ValueError(
                    f"service {name!r} is already provided by plugin {self._provided[name][1]!r}"
                )
            self._provided[name] = (service, owner)

    def get(self, name: str) -> Any:
        """The service called ``name``; :class:`ServiceUnavailableError` when nobody provides it."""
        with self._lock:
            entry = self._provided.get(name)
        if entry is None:
            raise ServiceUnavailableError(
                f"no service {name!r}: the plugin providing it is not active"
            )
        return entry[0]

    def has(self, name: str) -> bool:
        with self._lock:
            return name in self._provided

    def owner_of(self, name: str) -> str | None:
        with self._lock:
            entry = self._provided.get(name)
        return entry[1] if entry else None

    def withdraw_owned(self, owner: str) -> list[Any]:
        """Forget every service ``owner`` provided (plugin teardown); return them for closing."""
        with self._lock:
            names = [name for name, (_, who) in self._provided.items() if who == owner]
            return [self._provided.pop(name)[0] for name in names]
