"""pytest fixtures for HAFS Studio and plugin authors (registered through ``pytest11``).

Nothing here imports Qt at import time: the plugin loads in every pytest run of an environment
where hafs-studio is installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from studio.testing import BUILTIN_PLUGINS, BusSpy, make_plugin, make_studio, shown_shell


@pytest.fixture
def studio_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private studio home: settings, layouts and state never touch the user's."""
    home = tmp_path / "studio-home"
    home.mkdir()
    monkeypatch.setenv("HAFS_STUDIO_HOME", str(home))
    return home


@pytest.fixture
def tmp_plugin() -> Callable[..., Any]:
    """``tmp_plugin(name, **hooks)`` → a plugin module (see :func:`studio.testing.make_plugin`)."""
    return make_plugin


@pytest.fixture
def studio_factory(studio_home: Path) -> Iterator[Callable[..., Any]]:
    """Build isolated studios: ``studio_factory(plugins=[(name, module)], builtins=...)``."""
    made = []

    def factory(plugins: Any = (), **kwargs: Any) -> Any:
        studio = make_studio(studio_home, plugins, **kwargs)
        made.append(studio)
        return studio

    yield factory
    for studio in made:
        studio.shutdown()


@pytest.fixture
def studio(studio_factory: Callable[..., Any]) -> Any:
    """A started studio with the real built-in plugins and nothing installed."""
    return studio_factory(builtins=BUILTIN_PLUGINS)


@pytest.fixture
def bus_spy(studio: Any) -> Iterator[BusSpy]:
    """Records every event published on the ``studio`` fixture's bus."""
    spy = BusSpy(studio.bus)
    yield spy
    spy.close()


@pytest.fixture
def process_manager(tmp_path: Path) -> Iterator[Any]:
    """A :class:`~studio.core.process.ProcessManager` whose logs and pid files are private;
    whatever the test started is stopped afterwards."""
    from studio.core.process import ProcessManager

    manager = ProcessManager(tmp_path / "process-state", grace_s=2.0)
    yield manager
    manager.shutdown(grace_s=0.5)


@pytest.fixture(scope="session")
def sshd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real OpenSSH server on 127.0.0.1 (where sshd cannot run: a skip saying why, or a
    failure under ``HAFS_STUDIO_REQUIRE_REAL_PARTS=1`` as in ``make test``).

    Shared by the session; a test that stops or breaks the server starts its own with
    :func:`studio.testing.sshd.start_sshd`.
    """
    from studio.testing.real_parts import missing_real_part
    from studio.testing.sshd import start_sshd

    try:
        server = start_sshd(tmp_path_factory.mktemp("sshd"))
    except RuntimeError as exc:
        missing_real_part(f"cannot run a local sshd (openssh-server): {exc}")
    yield server
    server.stop()


@pytest.fixture
def ssh_host(sshd_server: Any, tmp_path: Path) -> Any:
    """:class:`~studio.testing.sshd.SshHost`: the session's sshd as a trusted host named
    ``medical-mechanica``: ``.config`` (a HostConfig), ``.known_hosts``, ``.sync_path``."""
    from studio.testing.sshd import configure_host

    return configure_host(sshd_server, tmp_path / "ssh-host")


@pytest.fixture
def studio_shell(qtbot: Any, studio: Any) -> Iterator[Any]:
    """The GUI shell over ``studio`` with its main window shown (needs pytest-qt)."""
    with shown_shell(qtbot, studio) as shell:
        yield shell
