"""The backends one studio offers: built-ins plus those other plugins register.

One :class:`BackendRegistry` per studio (kept by the plugin's :class:`DeployManager`): nothing
is module-level, so two studios in one process never share backends. Other plugins contribute
through the ``studio_register_deploy_backends`` hook (see ``hookspecs.py``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from studio.core.contributions import validate_identifier
from studio.plugins.deploy.backend import Availability, Backend

__all__ = ["BackendRegistry", "UnknownBackendError"]


class UnknownBackendError(KeyError):
    """No backend has this id; the message lists the known ones."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown backend"


class BackendRegistry:
    """Backends by id, in registration order; listeners hear about changes."""

    def __init__(self) -> None:
        self._backends: dict[str, Backend] = {}
        self._listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def register(self, backend: Backend, plugin: str = "deploy") -> Backend:
        if not isinstance(backend, Backend):
            raise TypeError(f"expected a deploy Backend, got {type(backend).__name__}")
        validate_identifier("deploy backend", backend.id.replace(".", "-"))
        with self._lock:
            if backend.id in self._backends:
                owner = self._backends[backend.id].plugin
                raise ValueError(f"deploy backend {backend.id!r} is already registered by "
                                 f"plugin {owner!r}")
            backend.plugin = plugin
            self._backends[backend.id] = backend
        self._changed()
        return backend

    def remove_plugin(self, plugin: str) -> list[Backend]:
        with self._lock:
            gone = [b for b in self._backends.values() if b.plugin == plugin]
            for backend in gone:
                del self._backends[backend.id]
        if gone:
            self._changed()
        return gone

    def get(self, backend_id: str) -> Backend:
        with self._lock:
            backend = self._backends.get(backend_id)
            known = ", ".join(self._backends)
        if backend is None:
            raise UnknownBackendError(f"no deploy backend {backend_id!r} (known: {known})")
        return backend

    def items(self) -> list[Backend]:
        with self._lock:
            return list(self._backends.values())

    def availability(self) -> dict[str, Availability]:
        """Each backend's availability (calls every ``available()``; keep off the GUI thread)."""
        result = {}
        for backend in self.items():
            try:
                result[backend.id] = backend.available()
            except Exception as exc:  # a plugin's backend must not break the list
                result[backend.id] = Availability(False, f"{type(exc).__name__}: {exc}")
        return result

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback()`` after the table changed; returns the unsubscribe function."""
        with self._lock:
            self._listeners.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._listeners:
                    self._listeners.remove(callback)

        return unsubscribe

    def _changed(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener()
