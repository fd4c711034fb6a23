"""``hafs-studio data …`` as real subprocesses with a private home and context."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from data_helpers import read_lines


@pytest.fixture
def cli(tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess:
        env = dict(os.environ, HAFS_STUDIO_HOME=str(home / "studio"), HOME=str(home),
                   COLUMNS="200")
        env.pop("DISPLAY", None)
        env["PYTHONPATH"] = str(Path(__file__).resolve().parents[3])
        command = [sys.executable, "-m", "studio", "--context", str(tmp_path / "context"),
                   "data", *args]
        return subprocess.run(command, check=False, capture_output=True, text=True, env=env,
                              timeout=180)

    return run


def test_stats_json_counts_and_malformed_lines(cli, sample_dataset):
    folder = sample_dataset.folder
    with open(folder / "train.jsonl", "a", encoding="utf-8") as handle:
        handle.write('{"instruction": broken\n')
    lines_before = len((folder / "train.jsonl").read_text().splitlines())
    done = cli("stats", str(folder), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["splits"] == dict(sample_dataset.splits)
    train = read_lines_tolerant(folder / "train.jsonl")
    assert data["domains"]["train"] == Counter(line["_metadata"]["domain"] for line in train)
    assert data["rejection_reasons"] == dict(sample_dataset.reasons)
    assert data["malformed_lines"] == 1
    assert data["files"]["train"]["malformed"][0]["line"] == lines_before
    text = cli("stats", str(folder))
    assert text.returncode == 0
    assert f"train.jsonl:{lines_before}: malformed" in text.stdout
    assert "acceptance 80.0 %" in text.stdout


def read_lines_tolerant(path: Path) -> list[dict]:
    out = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            out.append(json.loads(line))
    return out


def test_dedup_and_diversity(cli, sample_dataset):
    done = cli("dedup", str(sample_dataset.folder), "--threshold", "0.8", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["clusters"] == len(sample_dataset.planted) and data["removable"] == 8
    members = {(m["split"], m["line"]) for c in data["cluster_list"] for m in c["members"]}
    assert {("rejected", line) for _, line in sample_dataset.planted} <= members
    done = cli("diversity", str(sample_dataset.folder), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["embedder"] == "native-hashed"
    assert data["figures"]["accepted"]["samples"] == 240
    assert 1 < data["figures"]["accepted"]["vendi"] <= 240
    again = json.loads(cli("diversity", str(sample_dataset.folder), "--json").stdout)
    assert again["embeddings_from_cache"] == 4 and again["figures"] == data["figures"]


def test_export_with_filters(cli, sample_dataset, tmp_path):
    target = tmp_path / "asm.jsonl"
    done = cli("export", str(sample_dataset.folder), "--filter", "split=train",
               "--filter", "domain=asm", "--to", str(target), "--format", "chatml")
    assert done.returncode == 0, done.stderr
    expected = [line for line in read_lines(sample_dataset.folder / "train.jsonl")
                if line["_metadata"]["domain"] == "asm"]
    lines = read_lines(target)
    assert len(lines) == len(expected) and all("text" in line for line in lines)
    manifest = json.loads(Path(str(target) + ".manifest.json").read_text())
    assert manifest["filter"] == {"splits": ["train"], "domains": ["asm"]}
    again = cli("export", str(sample_dataset.folder), "--to", str(target))
    assert again.returncode == 1 and "--force" in again.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("stats", "/nonexistent/folder"), "no such dataset folder"),
    (("stats", ".", "--map", "outptu=x"), "unknown field 'outptu'"),
    (("export", ".", "--to", "x.jsonl", "--filter", "split=nope"), "unknown split"),
])
def test_bad_input_names_the_problem(cli, args, message):
    done = cli(*args)
    assert done.returncode == 1 and message in done.stderr
