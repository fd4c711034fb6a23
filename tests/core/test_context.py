"""The context root: the studio's switches, hafs's merged config, and where hafs keeps each file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from studio.core.context import (
    ContextRoot,
    create_skeleton,
    hafs_path,
    read_hafs_context_root,
    resolve_context_root,
)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    (folder / ".config" / "hafs").mkdir(parents=True)
    (folder / ".context").mkdir()
    return folder


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def resolve(home: Path, cwd: Path | None = None, **env: str) -> ContextRoot:
    return resolve_context_root(environ={"HOME": str(home), **env}, cwd=cwd or home)


def test_general_context_root_from_the_user_config(home: Path):
    config = write(home / ".config/hafs/config.toml", '[general]\ncontext_root = "~/hafs-data"\n')
    root = resolve(home)
    assert root.path == home / "hafs-data" and root.source == str(config)
    # hafs reads only [general]; a top-level key is not its setting.
    config.write_text('context_root = "~/elsewhere"\n')
    assert resolve(home).source == "default"


def test_the_studio_switches_win(home: Path, tmp_path: Path):
    write(home / ".config/hafs/config.toml", '[general]\ncontext_root = "~/hafs-data"\n')
    from_env = resolve(home, HAFS_CONTEXT_ROOT=str(tmp_path / "from-env"))
    assert from_env.path == tmp_path / "from-env" and from_env.source == "HAFS_CONTEXT_ROOT"
    assert not from_env.split  # the studio's switch: everything is read there
    explicit = resolve_context_root(tmp_path / "explicit", environ={"HOME": str(home)})
    assert explicit.source == "--context"


def test_files_merge_in_hafs_order(home: Path, tmp_path: Path):
    """legacy < ./hafs.toml < user config < HAFS_CONFIG_PATH (hafs's loader.py)."""
    repo = tmp_path / "repo"
    legacy = write(home / ".context/hafs_config.toml", '[core]\ncontext_root = "~/legacy"\n')
    assert resolve(home, repo).path == home / "legacy"
    assert resolve(home, repo).source == str(legacy)
    local = write(repo / "hafs.toml", '[general]\ncontext_root = "~/from-repo"\n')
    assert resolve(home, repo).path == home / "from-repo"
    user = write(home / ".config/hafs/config.toml",
                 '[general]\ncontext_root = "~/from-user"\nother = 1\n')
    assert resolve(home, repo).source == str(user)  # the user file wins by default
    assert resolve(home, repo, HAFS_PREFER_REPO_CONFIG="1").source == str(local)
    assert resolve(home, repo, HAFS_PREFER_USER_CONFIG="false").source == str(local)
    explicit = write(tmp_path / "explicit.toml", '[general]\ncontext_root = "/data/ctx"\n')
    chosen = resolve(home, repo, HAFS_CONFIG_PATH=str(explicit))
    assert (chosen.path, chosen.source) == (Path("/data/ctx"), str(explicit))
    # A missing explicit file is skipped, as hafs skips it.
    assert resolve(home, repo, HAFS_CONFIG_PATH=str(tmp_path / "none.toml")).source == str(user)


def test_deep_merge_keeps_a_lower_files_value(home: Path, tmp_path: Path):
    write(home / ".config/hafs/config.toml", '[general]\ncontext_root = "~/from-user"\n')
    explicit = write(tmp_path / "explicit.toml", '[general]\nagent_workspaces_dir = "/x"\n')
    assert resolve(home, HAFS_CONFIG_PATH=str(explicit)).path == home / "from-user"


def test_values_are_expanded_as_hafs_does(home: Path, tmp_path: Path):
    repo = tmp_path / "repo"
    write(repo / "hafs.toml", '[general]\ncontext_root = "data/ctx"\n')
    assert resolve(home, repo).path == repo / "data" / "ctx"  # relative to where hafs runs
    write(repo / "hafs.toml", '[general]\ncontext_root = "$HOME/ctx"\n')
    assert resolve(home, repo).path == repo / "$HOME" / "ctx"  # no variables, like hafs


def test_configs_hafs_would_refuse_are_reported_and_skipped(home: Path):
    config = write(home / ".config/hafs/config.toml", "[general\ncontext_root = 1\n")
    root = resolve(home)
    assert root.source == "default" and root.path == home / ".context"
    assert root.problems and str(config) in root.problems[0]
    config.write_text("[general]\ncontext_root = 5\n")
    root = resolve(home)
    assert root.source == "default" and "should be a path string" in root.problems[0]
    # Errors in the legacy file are ignored by hafs, so they are not problems here either.
    write(home / ".context/hafs_config.toml", "[core\n")
    config.unlink()
    assert resolve(home).problems == ()


def test_hafs_path_follows_where_hafs_writes_each_file(home: Path):
    write(home / ".config/hafs/config.toml", '[general]\ncontext_root = "~/hafs-data"\n')
    root = resolve(home)
    assert root.split and root.hard_coded == home / ".context"
    # Hard-coded ~/.context in hafs: the registry, training files, most daemons.
    assert hafs_path(root, "models/registry.json") == home / ".context/models/registry.json"
    assert hafs_path(root, "training/datasets") == home / ".context/training/datasets"
    assert hafs_path(root, "logs/training_daemon.log") == home / ".context/logs/training_daemon.log"
    assert hafs_path(root, "training_daemon/daemon_status.json") == (
        home / ".context/training_daemon/daemon_status.json")
    # These follow [general].context_root.
    data = home / "hafs-data"
    assert hafs_path(root, "autonomy_daemon/daemon_status.json") == (
        data / "autonomy_daemon/daemon_status.json")
    assert hafs_path(root, "logs/autonomy_daemon.log") == data / "logs/autonomy_daemon.log"
    assert hafs_path(root, "metrics/agents.jsonl") == data / "metrics/agents.jsonl"
    assert root.models == home / ".context/models"
    assert "hafs still writes the model registry" in root.describe()
    for bad in ("../x", "/etc/passwd", "C:/x", ""):
        with pytest.raises(ValueError):
            hafs_path(root, bad)


def test_without_a_moved_root_everything_is_in_one_place(home: Path, tmp_path: Path):
    default = resolve(home)
    assert not default.split
    assert hafs_path(default, "autonomy_daemon") == home / ".context" / "autonomy_daemon"
    write(home / ".config/hafs/config.toml", '[general]\ncontext_root = "~/.context"\n')
    assert not resolve(home).split
    test_root = ContextRoot(tmp_path / "ctx", "test")
    assert hafs_path(test_root, "models/registry.json") == tmp_path / "ctx/models/registry.json"


def test_empty_and_skeleton(tmp_path):
    root = resolve_context_root(tmp_path / "ctx")
    assert root.is_empty and not root.exists
    created = create_skeleton(root.path)
    assert (root.path / "models").is_dir() and (root.path / "training" / "datasets").is_dir()
    assert not root.is_empty
    assert create_skeleton(root.path) == []
    assert len(created) >= 5


def test_a_split_user_is_not_empty_when_only_the_hard_coded_root_has_data(home: Path):
    write(home / ".config/hafs/config.toml", '[general]\ncontext_root = "~/hafs-data"\n')
    write(home / ".context/models/registry.json", "{}")
    root = resolve(home)
    assert not (home / "hafs-data").exists()
    assert root.exists and not root.is_empty


def test_read_hafs_context_root_defaults_to_the_environment(home: Path, monkeypatch):
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(home)
    monkeypatch.delenv("HAFS_CONFIG_PATH", raising=False)
    write(home / ".config/hafs/config.toml", '[general]\ncontext_root = "~/x"\n')
    assert read_hafs_context_root().value == Path(os.path.realpath(home / "x"))
