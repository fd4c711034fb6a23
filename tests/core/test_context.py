"""Context root resolution follows hafs's precedence."""

from __future__ import annotations

from studio.core.context import create_skeleton, resolve_context_root


def test_precedence(tmp_path):
    home = tmp_path / "home"
    config = home / ".config" / "hafs" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('context_root = "~/hafs-data"\n')
    env = {"HOME": str(home)}
    assert resolve_context_root(environ=env).path == home / "hafs-data"
    assert resolve_context_root(environ=env).source == str(config)
    env["HAFS_CONTEXT_ROOT"] = str(tmp_path / "from-env")
    assert resolve_context_root(environ=env).path == tmp_path / "from-env"
    assert resolve_context_root(tmp_path / "explicit", environ=env).source == "--context"


def test_default_and_hafs_config_path_override(tmp_path):
    home = tmp_path / "home"
    env = {"HOME": str(home)}
    assert resolve_context_root(environ=env).path == home / ".context"
    custom = tmp_path / "custom.toml"
    custom.write_text('context_root = "/data/ctx"\n')
    env["HAFS_CONFIG_PATH"] = str(custom)
    assert str(resolve_context_root(environ=env).path) == "/data/ctx"


def test_broken_or_mistyped_config_falls_back_to_default(tmp_path, caplog):
    home = tmp_path / "home"
    config = home / ".config" / "hafs" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("context_root = [1, 2\n")
    assert resolve_context_root(environ={"HOME": str(home)}).path == home / ".context"
    assert str(config) in caplog.text
    config.write_text("context_root = 5\n")
    assert resolve_context_root(environ={"HOME": str(home)}).source == "default"


def test_empty_and_skeleton(tmp_path):
    root = resolve_context_root(tmp_path / "ctx")
    assert root.is_empty and not root.exists
    created = create_skeleton(root.path)
    assert (root.path / "models").is_dir() and (root.path / "training" / "datasets").is_dir()
    assert not root.is_empty
    assert create_skeleton(root.path) == []
    assert len(created) >= 5
