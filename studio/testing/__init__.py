"""Test kit for HAFS Studio and its plugin authors (also shipped as a pytest plugin).

* :func:`make_studio` builds a core studio in a private folder whose plugin manager never
  loads installed entry points, so tests see exactly the plugins they name.
* :func:`make_plugin` turns plain functions into a plugin module.
* :class:`BusSpy` records what is published; :class:`ManualDispatcher` lets a test decide when
  queued GUI-thread events are delivered.

The pytest fixtures built on these live in :mod:`studio.testing.pytest_plugin`.
"""

from __future__ import annotations

import contextlib
import threading
import types
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from studio.core.app import Studio
from studio.core.context import ContextRoot
from studio.core.events import Event, EventBus
from studio.core.hookspecs import hook_names, hookimpl
from studio.core.plugins import BUILTIN_PLUGINS

__all__ = [
    "BUILTIN_PLUGINS",
    "BusSpy",
    "ManualDispatcher",
    "builtins_without",
    "make_contributor",
    "make_plugin",
    "make_studio",
    "shown_shell",
]


def make_plugin(
    name: str,
    *,
    requires: Sequence[str] = (),
    optional: Sequence[str] = (),
    hookspecs: Any = None,
    **hooks: Callable[..., Any],
) -> types.ModuleType:
    """A plugin module named ``name`` whose hooks are the given functions.

    ``requires``/``optional`` become its ``REQUIRES``/``OPTIONAL``; ``hookspecs`` (a module or
    class of ``@hookspec`` functions) is declared through ``studio_add_hookspecs``. Hook names
    must start with ``studio_``; one that no plugin declares errors the plugin when it loads,
    exactly as a typo in a real plugin would.

    >>> plugin = make_plugin("demo", studio_register_commands=lambda register: None)
    """
    misnamed = sorted(hook for hook in hooks if not hook.startswith("studio_"))
    if misnamed:
        raise ValueError(f"hook names start with 'studio_': {misnamed}; core hooks: "
                         f"{hook_names()}")
    module = types.ModuleType(f"studio_test_plugins.{name}")
    module.REQUIRES = tuple(requires)
    module.OPTIONAL = tuple(optional)
    if hookspecs is not None and "studio_add_hookspecs" not in hooks:
        hooks["studio_add_hookspecs"] = lambda add: add(hookspecs)
    for hook_name, function in hooks.items():
        setattr(module, hook_name, hookimpl(function))
    return module


def make_contributor(
    name: str,
    hook_name: str,
    *specs: Any,
    requires: Sequence[str] = (),
    optional: Sequence[str] = (),
) -> types.ModuleType:
    """A plugin that registers ``specs`` through another plugin's hook ``hook_name``.

    >>> make_contributor("ollama", "studio_register_deploy_backends", BackendSpec("ollama"),
    ...                  requires=("deploy",))  # doctest: +SKIP
    """

    def register_all(register: Callable[[Any], None]) -> None:
        for spec in specs:
            register(spec)

    return make_plugin(name, requires=requires, optional=optional, **{hook_name: register_all})


def builtins_without(*names: str) -> tuple[tuple[str, str], ...]:
    """The built-in plugins minus ``names``: a studio in which a requirement is missing."""
    unknown = set(names) - {name for name, _ in BUILTIN_PLUGINS}
    if unknown:
        raise ValueError(f"not built-in plugins: {sorted(unknown)}")
    return tuple((name, module) for name, module in BUILTIN_PLUGINS if name not in names)


def make_studio(
    home: Path,
    plugins: Iterable[tuple[str, Any]] = (),
    *,
    builtins: Sequence[tuple[str, str]] = (),
    context: Path | None = None,
    environ: dict[str, str] | None = None,
    start: bool = True,
) -> Studio:
    """A studio whose settings and state live under ``home`` and that loads only what it is told.

    ``builtins`` defaults to none; pass :data:`BUILTIN_PLUGINS` for the real built-ins.
    """
    env = {"HAFS_STUDIO_HOME": str(home), "HOME": str(home)}
    env.update(environ or {})
    studio = Studio(
        context=ContextRoot(context or home / "context", "test"),
        builtins=builtins,
        load_entry_points=False,
        extra_plugins=list(plugins),
        environ=env,
        job_workers=2,
    )
    return studio.start() if start else studio


class BusSpy:
    """Records every event published on a bus (delivered in the publishing thread)."""

    def __init__(self, bus: EventBus, pattern: str = "*") -> None:
        self.events: list[tuple[str, Event]] = []
        self._lock = threading.Lock()
        self._subscription = bus.subscribe(
            pattern, self._record, owner="bus-spy", thread="publisher"
        )
        self._bus = bus
        self._pattern = pattern

    def _record(self, event: Event) -> None:
        with self._lock:
            self.events.append((event.topic, event))

    def of_type(self, kind: type[Event]) -> list[Event]:
        with self._lock:
            return [event for _, event in self.events if isinstance(event, kind)]

    def topics(self) -> list[str]:
        with self._lock:
            return [topic for topic, _ in self.events]

    def clear(self) -> None:
        with self._lock:
            self.events.clear()

    def close(self) -> None:
        self._subscription.unsubscribe()


class ManualDispatcher:
    """A main-thread dispatcher that delivers only when the test calls :meth:`run`."""

    def __init__(self) -> None:
        self.scheduled = 0
        self._drain: Callable[[], None] | None = None

    def schedule(self, drain: Callable[[], None]) -> None:
        self.scheduled += 1
        self._drain = drain

    def run(self) -> None:
        if self._drain is not None:
            drain, self._drain = self._drain, None
            drain()


@contextlib.contextmanager
def shown_shell(qtbot: Any, studio: Studio, size: tuple[int, int] = (1280, 800)) -> Iterator[Any]:
    """The GUI shell over ``studio`` with its main window shown; closed again afterwards.

    Needs pytest-qt's ``qtbot``. Qt is imported only when this is used.
    """
    from studio.shell.app import StudioShell

    shell = StudioShell(studio, restore_session=False)
    window = shell.start()
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    try:
        yield shell
    finally:
        for other in list(shell.windows):
            other.close()
        shell.shutdown()
