"""The hafs-studio command line, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import orjson
import pytest

from studio import __version__
from studio.plugins.models.schema import new_entry


def run_studio(*args: str, env_extra: dict[str, str] | None = None, home=None, timeout=120):
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env.pop("QT_QPA_PLATFORM", None)
    if home is not None:
        env["HAFS_STUDIO_HOME"] = str(home)
        env["HOME"] = str(home)
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def test_version():
    result = run_studio("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"hafs-studio {__version__}"


def test_help_lists_commands(tmp_path):
    result = run_studio("--help", home=tmp_path)
    assert result.returncode == 0
    assert "doctor" in result.stdout and "plugins" in result.stdout
    assert "--screenshot" in result.stdout


def test_plugins_list_json(tmp_path):
    result = run_studio("plugins", "list", "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    data = orjson.loads(result.stdout)
    names = {p["name"]: p for p in data["plugins"]}
    assert {"workbench", "themes", "dashboard", "jobs"} <= names.keys()
    assert all(names[n]["state"] == "active" for n in ("workbench", "themes", "dashboard"))
    assert data["total"] == len(data["plugins"])
    for plugin in data["plugins"]:
        assert {"requires", "optional", "reason", "essential"} <= plugin.keys()
    assert names["workbench"]["essential"] and not names["models"]["essential"]
    assert names["models"]["hookspecs"] == ["studio_register_model_actions"]


def test_plugins_list_table_and_disable_switch(tmp_path):
    result = run_studio(
        "plugins", "list", home=tmp_path, env_extra={"HAFS_STUDIO_DISABLE_PLUGINS": "dashboard"}
    )
    assert result.returncode == 0
    assert "dashboard" in result.stdout and "disabled" in result.stdout


def test_doctor_json_reports_every_check(tmp_path):
    result = run_studio("doctor", "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    report = orjson.loads(result.stdout)
    assert {"studio", "context", "qt", "native", "gpu", "ssh"} <= report["checks"].keys()
    assert {tool["name"] for tool in report["tools"]} >= {"llama-server", "ollama", "ssh"}
    assert report["checks"]["context"]["ok"] is False  # HOME has no .context
    for tool in report["tools"]:
        assert tool["without"]  # what works without it is always said
        if tool["found"]:
            assert os.access(tool["path"], os.X_OK) and tool["found_by"], tool
        else:
            assert tool["path"] is None, tool
    ssh = next(t for t in report["tools"] if t["name"] == "ssh")
    assert report["checks"]["ssh"]["ok"] is ssh["found"]


def test_doctor_finds_no_tool_where_there_is_none(tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    result = run_studio("doctor", "--json", home=tmp_path, env_extra={"PATH": str(empty)})
    assert result.returncode == 0, result.stderr
    report = orjson.loads(result.stdout)
    assert report["tools"] and not any(tool["found"] for tool in report["tools"])
    assert report["checks"]["ssh"]["ok"] is False


def test_a_hafs_config_that_moves_the_context_root_is_followed(tmp_path):
    """hafs's [general].context_root moves only some of hafs's files; the registry stays in
    ~/.context, where hafs's ModelRegistry hard-codes it, and the studio reads it there."""
    home = tmp_path
    config = home / ".config" / "hafs" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[general]\ncontext_root = "~/hafs-data"\n')
    (home / "hafs-data" / "autonomy_daemon").mkdir(parents=True)
    registry = home / ".context" / "models" / "registry.json"
    registry.parent.mkdir(parents=True)
    registry.write_text(json.dumps({"version": "1.0", "updated_at": "", "models": {
        "oracle-x": dict(new_entry("oracle-x", display_name="X"))}}, indent=2))
    listing = run_studio("models", "list", "--json", home=home)
    assert listing.returncode == 0, listing.stderr
    assert [m["model_id"] for m in orjson.loads(listing.stdout)["models"]] == ["oracle-x"]
    doctor = run_studio("doctor", "--json", home=home)
    context = orjson.loads(doctor.stdout)["checks"]["context"]
    assert context["path"] == str(home / "hafs-data") and context["source"] == str(config)
    assert context["hafs_hard_coded_root"] == str(home / ".context")
    assert context["registry"] == str(registry)
    assert "hafs still writes the model registry" in context["detail"]
    table = run_studio("doctor", home=home, env_extra={"COLUMNS": "300"})
    assert "hafs still writes the model registry" in table.stdout


def test_gui_without_display_explains_itself(tmp_path):
    result = run_studio(home=tmp_path, timeout=60)
    assert result.returncode == 2
    assert "no display" in result.stderr and "--screenshot" in result.stderr


def test_screenshot_writes_a_png(tmp_path):
    out = tmp_path / "shot.png"
    result = run_studio(
        "--screenshot",
        str(out),
        "--workspace",
        "models",
        "--theme",
        "light",
        "--size",
        "1280x800",
        home=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    from PySide6.QtGui import QImage

    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 800)
    # A rendered window is not a blank canvas: many distinct colours appear.
    colours = {image.pixel(x, y) for x in range(0, 1280, 37) for y in range(0, 800, 29)}
    assert len(colours) > 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--screenshot", "x.png", "--size", "12"), "WIDTHxHEIGHT"),
        (("--screenshot", "x.png", "--workspace", "nowhere"), "unknown workspace"),
        (("--screenshot", "x.png", "--theme", "neon"), "unknown theme"),
        (("frobnicate",), "No such command"),
    ],
)
def test_bad_arguments_are_explained(tmp_path, args, message):
    result = run_studio(*args, home=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr


def test_sample_create_makes_a_context_hafs_and_the_studio_can_read(tmp_path):
    context = tmp_path / "ctx"
    result = run_studio("--context", str(context), "sample", "create", home=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    for folder in ("models", "training/datasets", "training/logs"):
        assert (context / folder).is_dir()
    listing = run_studio("--context", str(context), "models", "list", "--json", home=tmp_path)
    assert listing.returncode == 0, listing.stderr
    models = orjson.loads(listing.stdout)
    assert models["total"] >= 1
    assert all(len(entry) == 36 for entry in models["models"])
