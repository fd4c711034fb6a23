"""Hooks that belong to plugins: their declaration and the live tables of what others contribute.

A plugin that offers an extension point declares it in a hookspec module of its own (pluggy's
``add_hookspecs``, like pytest's ``pytest_addhooks``) through the core hook
``studio_add_hookspecs(add)``, and collects the contributions, usually in ``studio_startup``::

    backends = studio.plugins.collect("studio_register_deploy_backends", BackendSpec)

The returned :class:`ContributionTable` is live: each spec is stamped with the plugin that
registered it, a contributor that raises (or registers something invalid) is marked errored
without affecting the others, the table shrinks when a contributor is torn down and grows when
one is enabled while the studio runs. ``subscribe(callback)`` tells the owner when it changed.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    import pluggy

    from studio.core.plugin_records import PluginRecord

__all__ = ["ContributionTable", "PluginHooks"]

log = logging.getLogger(__name__)

Spec = TypeVar("Spec")


class ContributionTable(Generic[Spec]):
    """Specs registered through one plugin-owned hook, by id, each stamped with its plugin.

    Built by :meth:`studio.core.plugins.PluginManager.collect`; read it, never fill it yourself.
    """

    def __init__(self, hook_name: str, spec_type: type[Spec], owner: str) -> None:
        self.hook_name = hook_name
        self.spec_type = spec_type
        self.owner = owner
        self._lock = threading.RLock()
        self._specs: dict[str, Spec] = {}
        self._listeners: list[Callable[[], None]] = []
        self.closed = False

    # -- reading ---------------------------------------------------------------------------
    def items(self) -> list[Spec]:
        """Every contribution, in activation order of their plugins, then registration order."""
        with self._lock:
            return list(self._specs.values())

    def get(self, spec_id: str) -> Spec:
        """The contribution with ``spec_id``; KeyError naming the hook when there is none."""
        with self._lock:
            try:
                return self._specs[spec_id]
            except KeyError:
                raise KeyError(f"no contribution {spec_id!r} to {self.hook_name}") from None

    def ids(self) -> list[str]:
        with self._lock:
            return list(self._specs)

    def by_plugin(self, plugin: str) -> list[Spec]:
        with self._lock:
            return [spec for spec in self._specs.values() if spec.plugin == plugin]

    def __contains__(self, spec_id: object) -> bool:
        with self._lock:
            return spec_id in self._specs

    def __iter__(self) -> Iterator[Spec]:
        return iter(self.items())

    def __len__(self) -> int:
        with self._lock:
            return len(self._specs)

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback()`` after the table changed; returns a function that unsubscribes.

        Called in the thread that changed the table (the GUI thread in the window: plugins are
        enabled, disabled and torn down there).
        """
        with self._lock:
            self._listeners.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._listeners:
                    self._listeners.remove(callback)

        return unsubscribe

    # -- filled by the plugin manager ------------------------------------------------------------
    def add(self, plugin: str, spec: Any) -> None:
        """Check, stamp and file one contribution of ``plugin``; raise on anything invalid."""
        if not isinstance(spec, self.spec_type):
            raise TypeError(
                f"{self.hook_name}: expected a {self.spec_type.__name__}, got {type(spec).__name__}"
            )
        spec_id = getattr(spec, "id", None)
        if not isinstance(spec_id, str) or not spec_id:
            raise ValueError(f"{self.hook_name}: a {type(spec).__name__} needs a non-empty id")
        with self._lock:
            existing = self._specs.get(spec_id)
            if existing is not None:
                raise ValueError(
                    f"{self.hook_name}: {spec_id!r} is already registered by plugin "
                    f"{existing.plugin!r}"
                )
            object.__setattr__(spec, "plugin", plugin)
            self._specs[spec_id] = spec

    def remove_plugin(self, plugin: str) -> bool:
        """Forget every contribution of ``plugin``; True when there was one."""
        with self._lock:
            doomed = [key for key, spec in self._specs.items() if spec.plugin == plugin]
            for key in doomed:
                del self._specs[key]
        return bool(doomed)

    def close(self) -> None:
        """The owner is gone: empty the table and stop notifying."""
        with self._lock:
            self._specs.clear()
            self.closed = True
        self.changed()
        with self._lock:
            self._listeners.clear()

    def changed(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener()
            except Exception:  # one broken listener must not stop the others
                log.exception("listener of %s failed", self.hook_name)


class PluginHooks:
    """The plugin manager's half that declares plugin-owned hooks and collects their tables.

    A mixin of :class:`studio.core.plugins.PluginManager` (kept apart so each reads on its own):
    it uses the manager's ``pm``, ``records``, ``studio`` and guarded calls.
    """

    pm: pluggy.PluginManager
    records: dict[str, PluginRecord]
    studio: Any
    _tables: dict[str, ContributionTable[Any]]
    _hook_owners: dict[str, str]  # plugin-declared hook -> declaring plugin

    # Also uses PluginManager's _call_impl, _mark_errored, _live_records, _is_live,
    # _implements and acting.

    def _declare_hookspecs(self, record: PluginRecord) -> None:
        """Run the plugin's ``studio_add_hookspecs(add)``: its own hooks become callable."""
        declared: list[str] = []

        def add(module_or_class: Any) -> None:
            declared.extend(self._add_hookspecs(record, module_or_class))

        self._call_impl(record, "studio_add_hookspecs", {"add": add}, "load")
        if declared:
            record.hookspecs = tuple(dict.fromkeys((*record.hookspecs, *declared)))

    def _add_hookspecs(self, record: PluginRecord, namespace: Any) -> list[str]:
        from studio.core import hookspecs

        marker = f"{hookspecs.PROJECT}_spec"
        names = [n for n in dir(namespace) if hasattr(getattr(namespace, n, None), marker)]
        if not names:
            raise ValueError(f"no hook specifications (@hookspec) in {namespace!r}")
        for name in names:
            owner = self._hook_owners.get(name)
            if name in hookspecs.hook_names() or (owner is not None and owner != record.name):
                raise ValueError(f"hook {name} is already declared by {owner or 'the studio'}")
        new = [name for name in names if name not in self._hook_owners]
        for name in new:
            self._reject_mismatched_impls(name, getattr(namespace, name))
        if new:
            self.pm.add_hookspecs(_Namespace(namespace, new))
        for name in new:
            self._hook_owners[name] = record.name
        return names

    def _reject_mismatched_impls(self, name: str, spec: Callable[..., Any]) -> None:
        """A plugin already implementing ``name`` with arguments the spec lacks is errored."""
        caller = getattr(self.pm.hook, name, None)
        if caller is None:
            return
        allowed = set(inspect.signature(spec).parameters)
        for impl in list(caller.get_hookimpls()):
            extra = sorted(set(impl.argnames) - allowed)
            implementer = self.records.get(impl.plugin_name)
            if extra and implementer is not None:
                self._mark_errored(implementer, "load", _validation_error(
                    impl.plugin, f"{name}: argument(s) {', '.join(extra)} are not in the hook's "
                    f"specification ({', '.join(sorted(allowed))})"))

    def _check_hooks(self, record: PluginRecord) -> None:
        """Hooks nobody declares: an error (a typo) unless an absent OPTIONAL plugin owns them."""
        if not record.state.live:
            return
        unknown = [c.name for c in self.pm.get_hookcallers(record.obj) or [] if not c.has_spec()]
        if not unknown:
            return
        if any(not self._is_live(name) for name in record.requires):
            return  # it will be disabled for the missing requirement, which says more
        absent = [name for name in record.optional if not self._is_live(name)]
        names = ", ".join(unknown)
        if absent:
            record.warnings.append(
                f"hook(s) {names} not declared by any active plugin (optional "
                f"{', '.join(absent)} absent): not called"
            )
            return
        self._mark_errored(record, "load", _validation_error(
            record.obj, f"unknown hook(s) {names}: not in studio/core/hookspecs.py nor declared "
            "by a plugin this one lists in REQUIRES or OPTIONAL"))

    # -- plugin-owned hooks ------------------------------------------------------------------------
    def collect(self, hook_name: str, spec_type: type[Any]) -> ContributionTable[Any]:
        """Call ``hook_name(register)`` on every live plugin; return the live table of specs.

        The hook must be declared (``studio_add_hookspecs``); the table belongs to the plugin
        collecting (the one acting now) and is closed when that plugin is torn down.
        """
        from studio.core import hookspecs

        caller = getattr(self.pm.hook, hook_name, None)
        if caller is None or not caller.has_spec() or hook_name in hookspecs.hook_names():
            raise ValueError(f"{hook_name} is not a plugin-declared hook; declare it with "
                             "studio_add_hookspecs(add) in the plugin that owns it")
        table: ContributionTable[Any] = ContributionTable(
            hook_name, spec_type, self.acting or "studio")
        previous = self._tables.pop(hook_name, None)
        if previous is not None:
            previous.close()
        self._tables[hook_name] = table
        for record in self._live_records():
            self._contribute(table, record)
        return table

    def _contribute(self, table: ContributionTable[Any], record: PluginRecord) -> bool:
        if not self._implements(record, table.hook_name):
            return False
        arguments = {"register": lambda spec: table.add(record.name, spec), "studio": self.studio}
        self._call_impl(record, table.hook_name, arguments, "activate")
        return True

    def contribute_to_tables(self, name: str) -> None:
        """A plugin enabled while the studio runs adds its contributions to existing tables."""
        record = self.records[name]
        for table in list(self._tables.values()):
            if table.owner != name and self._contribute(table, record) and record.state.live:
                table.changed()

    def hook_owners(self) -> dict[str, str]:
        """Every plugin-declared hook and the plugin that declared it."""
        return dict(self._hook_owners)

    def tables(self) -> list[ContributionTable[Any]]:
        return list(self._tables.values())



class _Namespace:
    """Only the named hookspecs of a module (pluggy's add_hookspecs takes whole namespaces)."""

    def __init__(self, namespace: Any, names: Iterable[str]) -> None:
        for name in names:
            setattr(self, name, getattr(namespace, name))
        self.__name__ = getattr(namespace, "__name__", repr(namespace))


def _validation_error(plugin: Any, message: str) -> Exception:
    import pluggy

    return pluggy.PluginValidationError(plugin, message)
