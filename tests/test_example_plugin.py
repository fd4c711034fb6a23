"""The example plugin, installed for real with pip, seen by the studio; broken plugins isolated.

The example (examples/plugins/hello_studio) is built with the environment's setuptools
(``--no-build-isolation``: no network) into a private ``--target`` folder. Subprocesses put that
folder on PYTHONPATH, so the studio discovers the plugin exactly as a user's install: through
the ``hafs_studio.plugins`` entry point of the ``hafs-studio-hello`` distribution.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from studio.core.contributions import CommandSpec, ViewSpec
from studio.core.plugins import PluginState
from studio.testing import BUILTIN_PLUGINS, BusSpy, shown_shell

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "plugins" / "hello_studio"
PLUGIN_ENV_SWITCHES = ("HAFS_STUDIO_PLUGINS", "HAFS_STUDIO_DISABLE_PLUGINS")


# -- installing and running ----------------------------------------------------------------
def _pip_install(source: Path, target: Path) -> None:
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
               "--no-build-isolation", "--no-index", "--target", str(target), str(source)]
    result = subprocess.run(command, check=False, capture_output=True, text=True,
                            timeout=300)
    if result.returncode != 0:
        pytest.fail(
            "pip could not install the example plugin. The test environment needs "
            "setuptools>=70.1 (or an older setuptools plus wheel).\n"
            f"{result.stdout}\n{result.stderr}"
        )


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the installed example: its package and its .dist-info."""
    work = tmp_path_factory.mktemp("hello-install")
    # Build from a copy: setuptools writes build/ and *.egg-info next to the sources.
    source = work / "src"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__", ".pytest_cache"))
    site = work / "site"
    _pip_install(source, site)
    assert (site / "hafs_studio_hello-0.1.0.dist-info").is_dir()
    return site


@pytest.fixture(scope="module")
def broken_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A distribution whose entry-point module raises on import, installed by hand."""
    site = tmp_path_factory.mktemp("broken-install")
    (site / "broken_on_import.py").write_text(
        'raise RuntimeError("this plugin is broken on purpose")\n'
    )
    dist_info = site / "hafs_studio_broken-0.1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: hafs-studio-broken\nVersion: 0.1.0\n"
    )
    (dist_info / "entry_points.txt").write_text(
        "[hafs_studio.plugins]\nbroken_on_import = broken_on_import\n"
    )
    return site


def run_studio(
    home: Path, sites: list[Path], *args: str, **env: str
) -> subprocess.CompletedProcess:
    """``python -m studio *args`` with the given plugin folders installed and a private home."""
    environ = {k: v for k, v in os.environ.items() if k not in PLUGIN_ENV_SWITCHES}
    environ.update(
        PYTHONPATH=os.pathsep.join([*map(str, sites), str(REPO)]),
        HAFS_STUDIO_HOME=str(home / "studio-home"),
        HAFS_CONTEXT_ROOT=str(home / "context"),
        QT_QPA_PLATFORM="offscreen",
        **env,
    )
    return subprocess.run([sys.executable, "-m", "studio", *args], check=False, cwd=home,
                          env=environ, capture_output=True, text=True, timeout=180)


def plugins_by_name(home: Path, sites: list[Path], *args: str, **env: str) -> dict[str, dict]:
    result = run_studio(home, sites, *args, "plugins", "list", "--json", **env)
    plugins = {p["name"]: p for p in orjson.loads(result.stdout)["plugins"]}
    # The exit status says whether any plugin failed; scripts rely on it.
    any_errored = any(p["state"] == "errored" for p in plugins.values())
    assert result.returncode == (1 if any_errored else 0), result.stderr
    return plugins


# -- the installed example, seen from the command line ---------------------------------------
def test_plugins_list_shows_the_example_from_its_entry_point(example_site, tmp_path):
    hello = plugins_by_name(tmp_path, [example_site])["hello_studio"]
    assert hello["source"] == "entry point"
    assert hello["distribution"] == "hafs-studio-hello"
    assert hello["version"] == "0.1.0"
    assert hello["module"] == "hello_studio.plugin"
    assert hello["state"] == "active", hello["traceback"]


def test_plugin_cli_group_uses_the_plugin_settings(example_site, tmp_path):
    result = run_studio(tmp_path, [example_site], "hello", "greet", "--name", "Ada")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Hello, Ada! Your hafs context is")

    settings = tmp_path / "studio-home" / "config" / "settings.json"
    settings.write_bytes(orjson.dumps({"hello": {"greeting": "Hi {name} from {context}"}}))
    result = run_studio(tmp_path, [example_site], "hello", "greet", "--name", "Ada")
    assert result.stdout.strip() == f"Hi Ada from {tmp_path / 'context'}"


def test_screenshot_with_the_example_installed(example_site, tmp_path):
    out = tmp_path / "out.png"
    result = run_studio(tmp_path, [example_site], "--screenshot", str(out),
                        "--workspace", "dashboard")
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("args", "env", "reason"),
    [
        ((), {"HAFS_STUDIO_DISABLE_PLUGINS": "hello_studio"}, "HAFS_STUDIO_DISABLE_PLUGINS"),
        ((), {"HAFS_STUDIO_PLUGINS": "workbench,themes,dashboard"}, "HAFS_STUDIO_PLUGINS"),
        (("--safe-mode",), {}, "safe mode"),
    ],
    ids=["disable-list", "allow-list", "safe-mode"],
)
def test_switches_disable_the_example(example_site, tmp_path, args, env, reason):
    hello = plugins_by_name(tmp_path, [example_site], *args, **env).get("hello_studio")
    # Safe mode skips reading entry points altogether, so the plugin may not be listed at all.
    if hello is not None or not args:
        assert hello["state"] == "disabled"
        assert reason in hello["reason"]
    greet = run_studio(tmp_path, [example_site], *args, "hello", "greet", **env)
    assert greet.returncode != 0  # a disabled plugin contributes no CLI group


def test_example_tests_pass_with_the_studio_fixtures(example_site, tmp_path):
    """The sample tests that docs/plugins.md shows plugin authors really pass."""
    tests = shutil.copytree(EXAMPLE / "tests", tmp_path / "tests")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests)],
        check=False, cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(example_site), str(REPO)]),
             "QT_QPA_PLATFORM": "offscreen", "HAFS_STUDIO_HOME": str(tmp_path / "home")},
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- the installed example, in process -----------------------------------------------------
@pytest.fixture
def hello_plugin(example_site, monkeypatch):
    """The example's plugin module, imported from the pip-installed folder."""
    monkeypatch.syspath_prepend(str(example_site))
    import hello_studio.plugin

    assert Path(hello_studio.plugin.__file__).is_relative_to(example_site)
    return hello_studio.plugin


@pytest.fixture
def studio(studio_factory, hello_plugin):
    """The kit's ``studio`` (used by ``studio_shell``) with the example added to the built-ins."""
    return studio_factory(plugins=[("hello_studio", hello_plugin)], builtins=BUILTIN_PLUGINS)


def test_example_dock_appears_in_the_window(studio_shell, qtbot):
    studio = studio_shell.studio
    record = studio.plugins.records["hello_studio"]
    assert record.state is PluginState.ACTIVE
    assert record.module == "hello_studio.plugin"
    window = studio_shell.main_window
    dock = window.docks["hello.main"]
    assert dock.objectName() == "view:hello.main"
    assert dock.isVisible()
    view = dock.materialize()
    assert view.objectName() == "hello-view"
    dashboard = window.docks["dashboard.home"].materialize()
    assert "hello.card" in dashboard.cards

    spy = BusSpy(studio.bus, "hello.greeted")
    text = studio_shell.run_command("hello.greet")
    assert text and spy.topics() == ["hello.greeted"]
    qtbot.waitUntil(lambda: view.counts.total > 0)

    window.switch_workspace("analysis")
    assert dock.isVisible()
    window.switch_workspace("models")
    assert not dock.isVisible()


# -- broken plugins are reported and isolated ------------------------------------------------
def _raise(message: str):
    def fail(*_args, **_kwargs):
        raise RuntimeError(message)

    return fail


def test_broken_entry_point_is_reported_while_the_studio_works(example_site, broken_site,
                                                               tmp_path):
    sites = [example_site, broken_site]
    plugins = plugins_by_name(tmp_path, sites)
    broken = plugins["broken_on_import"]
    assert broken["state"] == "errored"
    assert broken["distribution"] == "hafs-studio-broken"
    assert broken["error_phase"] == "load"
    assert "this plugin is broken on purpose" in broken["traceback"]
    assert plugins["hello_studio"]["state"] == "active"
    result = run_studio(tmp_path, sites, "--screenshot", str(tmp_path / "out.png"))
    assert result.returncode == 0, result.stderr


def test_broken_plugins_are_isolated_in_the_window(studio_factory, hello_plugin, tmp_path,
                                                   monkeypatch, qtbot, tmp_plugin):

    # 1. Its module raises when imported.
    (tmp_path / "raises_on_import.py").write_text('raise ImportError("missing dependency xyz")\n')
    monkeypatch.syspath_prepend(str(tmp_path))

    # 2. A registration hook raises after registering one command: that command must go too.
    def register_then_raise(register):
        register(CommandSpec("half.done", "Half done", lambda: None))
        raise RuntimeError("hook exploded")

    # 3. The view factory raises when the dock is first shown.
    def register_bad_view(register):
        register(ViewSpec("badview.main", "Bad View", _raise("factory exploded"),
                          area="left", workspaces=("dashboard",)))

    studio = studio_factory(
        plugins=[
            ("hello_studio", hello_plugin),
            ("half", tmp_plugin("half", studio_register_commands=register_then_raise)),
            ("badview", tmp_plugin("badview", studio_register_views=register_bad_view)),
        ],
        builtins=(*BUILTIN_PLUGINS, ("raises_on_import", "raises_on_import")),
    )
    records = studio.plugins.records
    assert records["raises_on_import"].state is PluginState.ERRORED
    assert records["raises_on_import"].error_phase == "load"
    assert "missing dependency xyz" in records["raises_on_import"].traceback
    assert records["half"].state is PluginState.ERRORED
    assert "hook exploded" in records["half"].traceback
    assert "half.done" not in studio.commands
    assert records["badview"].state is PluginState.ACTIVE  # nothing ran its factory yet

    with shown_shell(qtbot, studio) as shell:
        window = shell.main_window
        bad_dock = window.docks["badview.main"]
        assert bad_dock.materialize() is None
        assert records["badview"].state is PluginState.ERRORED
        assert records["badview"].error_phase == "view badview.main"
        assert "factory exploded" in records["badview"].traceback
        assert "could not be opened" in _all_label_text(bad_dock)

        # Everything else still works: other views, commands, workspace switching.
        assert window.docks["hello.main"].materialize() is not None
        assert window.docks["dashboard.home"].materialize() is not None
        assert shell.run_command("hello.greet")
        shell.run_command("workbench.workspace.analysis")
        assert window.workspace == "analysis"
        assert window.isVisible()
        assert {r.name for r in records.values() if r.state is PluginState.ERRORED} == {
            "raises_on_import", "half", "badview"}


def _all_label_text(widget) -> str:
    from PySide6.QtWidgets import QLabel

    return " ".join(label.text() for label in widget.findChildren(QLabel))
