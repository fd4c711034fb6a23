"""What every Context view uses: worker threads, theme colours, the editor font, messages."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase
from PySide6.QtWidgets import QLabel, QWidget

from studio.api import ThemeChanged
from studio.shell.api import (
    Background,
    ViewContext,
    current_shell,
    current_theme,
    icon,
    setup_record_table,
    subscribe_widget,
)

PLUGIN = "context"  # owner of the subscriptions made by widgets that are not views

__all__ = [
    "PLUGIN",
    "Background",
    "ViewContext",
    "Workers",
    "colour",
    "current_shell",
    "current_theme",
    "editor_font",
    "icon",
    "muted_label",
    "post_message",
    "setup_record_table",
    "subscribe_theme",
]


def colour(token: str, alpha: int | None = None) -> QColor:
    """A theme token as a QColor (``#rrggbbaa`` tokens keep their alpha; Qt would read the
    eight digits as ``#aarrggbb``)."""
    value = current_theme()[token]
    result = QColor(value[:7])
    if len(value) == 9:
        result.setAlpha(int(value[7:], 16))
    if alpha is not None:
        result.setAlpha(alpha)
    return result


def editor_font(studio: Any) -> QFont:
    """The editor's monospace font from the settings (``context.font_family/font_size``)."""
    family, size = "monospace", 11
    try:
        family = str(studio.settings.get("context", "font_family")) or family
        size = int(studio.settings.get("context", "font_size"))
    except Exception:  # settings section missing (a studio without this plugin's settings)
        pass
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    if family != "monospace":
        font.setFamily(family)
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setFixedPitch(True)
    font.setPointSize(size)
    return font


def muted_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setProperty("role", "muted")
    label.setWordWrap(True)
    return label


def post_message(text: str) -> None:
    shell = current_shell()
    if shell is not None:
        shell.post_message(text)


def subscribe_theme(studio: Any, widget: QWidget, slot: Callable[[], None]) -> None:
    """Call ``slot()`` on the GUI thread after every theme change, until ``widget`` is gone."""
    subscribe_widget(widget, studio.bus, ThemeChanged.topic, lambda _event: slot(),
                     owner=PLUGIN)


class Workers(QObject):
    """Run functions on a small thread pool; each answer arrives on the GUI thread.

    Unlike a single "latest request wins" helper, requests run side by side and each keeps its
    own callback (the browser lists several folders at once). ``key``: a newer request with the
    same key supersedes an older one still running (its answer is dropped).
    """

    _done = Signal(int, object, object)

    def __init__(self, parent: QObject, max_workers: int = 2, name: str = "context") -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=name)
        self._lock = threading.Lock()
        self._next = 0
        self._callbacks: dict[int, Callable[[Any, Exception | None], None]] = {}
        self._by_key: dict[str, int] = {}
        self._done.connect(self._deliver)
        self._closed = False
        parent.destroyed.connect(lambda *_: self.shutdown())

    def shutdown(self) -> None:
        self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)

    def run(self, fn: Callable[[], Any], on_done: Callable[[Any, Exception | None], None],
            key: str | None = None) -> int:
        """Run ``fn`` on the pool; ``on_done(result, error)`` follows on the GUI thread.

        After the owner is gone (its widget destroyed) nothing runs and 0 is returned.
        """
        if self._closed:
            return 0
        with self._lock:
            self._next += 1
            token = self._next
            self._callbacks[token] = on_done
            if key is not None:
                old = self._by_key.pop(key, None)
                if old is not None:
                    self._callbacks.pop(old, None)
                self._by_key[key] = token

        def work() -> None:
            try:
                result, error = fn(), None
            except Exception as exc:  # handed to the callback, shown by the view
                result, error = None, exc
            self._done.emit(token, result, error)

        try:
            self._pool.submit(work)
        except RuntimeError:  # the interpreter is exiting: nothing more will run
            return 0
        return token

    def emit_partial(self, token: int, result: Any) -> None:
        """From a worker: deliver an intermediate result to ``token``'s callback (batches)."""
        self._done.emit(-token, result, None)

    @property
    def busy(self) -> bool:
        with self._lock:
            return bool(self._callbacks)

    def _deliver(self, token: int, result: Any, error: Any) -> None:
        with self._lock:
            callback = self._callbacks.get(abs(token))
            if token > 0:
                self._callbacks.pop(token, None)
                for key, value in list(self._by_key.items()):
                    if value == token:
                        del self._by_key[key]
        if callback is not None:
            callback(result, error)
