"""``hafs-studio logs grep``: a real process, compared with grep, lean at start-up."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from logdata import python_log_lines, write_lines

STUDIO = [sys.executable, "-m", "studio"]
GREP = shutil.which("grep")


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*STUDIO, *args], capture_output=True, timeout=120, check=False,
                          **kwargs)


@pytest.fixture(scope="module")
def log(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("grep") / "train.log"
    lines = python_log_lines(30_000)
    lines[100] = "2025-12-22 10:01:40,000 - trainer - ERROR - caf\u00e9 CUDA Out Of Memory\r"
    write_lines(path, lines)
    return path


CASES = [
    (["ERROR"], ["-F", "ERROR"]),
    (["-E", "CUDA out|Traceback"], ["-E", "CUDA out|Traceback"]),
    (["-i", "-E", "cuda out of memory|nan loss"], ["-i", "-E", "cuda out of memory|nan loss"]),
    (["-w", "loss"], ["-w", "-F", "loss"]),
    (["-E", r"loss=2\.[0-9]+$"], ["-E", r"loss=2\.[0-9]+$"]),
]


@pytest.mark.skipif(GREP is None, reason="grep is not installed")
@pytest.mark.parametrize(("ours", "theirs"), CASES)
def test_count_and_lines_equal_grep(log, ours, theirs) -> None:
    expected_count = subprocess.run([GREP, "-c", *theirs, str(log)], capture_output=True,
                                    check=False)
    got = run("logs", "grep", "--count", *ours, str(log))
    assert got.returncode == 0 and got.stdout == expected_count.stdout
    expected = subprocess.run([GREP, "-n", *theirs, str(log)], capture_output=True,
                              check=False).stdout
    got_lines = run("logs", "grep", "-n", *ours, str(log))
    assert got_lines.stdout == expected


def test_level_filter_and_exit_codes(log) -> None:
    lines = log.read_text().split("\n")
    errors = run("logs", "grep", "--level", "error", "--count", "", str(log))
    records = sum(1 for line in lines if " - ERROR - " in line)
    assert errors.returncode == 0 and int(errors.stdout) >= records  # + traceback lines
    both = run("logs", "grep", "--level", "warning,error", "-c", "step 1", str(log))
    assert int(both.stdout) == sum(1 for line in lines if "step 1" in line
                                   and (" - ERROR - " in line or " - WARNING - " in line))
    none = run("logs", "grep", "-c", "no such text anywhere", str(log))
    assert none.returncode == 1 and none.stdout == b"0\n"


def test_errors_name_the_file_or_pattern(log, tmp_path) -> None:
    missing = run("logs", "grep", "x", str(tmp_path / "nope.log"))
    assert missing.returncode == 2 and b"nope.log: No such file" in missing.stderr
    folder = run("logs", "grep", "x", str(tmp_path))
    assert folder.returncode == 2 and b"is a folder" in folder.stderr
    bad = run("logs", "grep", "-E", "(unclosed", str(log))
    assert bad.returncode == 2 and b"invalid regular expression" in bad.stderr
    level = run("logs", "grep", "--level", "loud", "x", str(log))
    assert level.returncode == 2 and b"unknown level 'loud'" in level.stderr


def test_options_parse_like_grep(log) -> None:
    combined = run("logs", "grep", "-icE", "cuda out|nan loss", str(log))
    separate = run("logs", "grep", "--count", "--ignore-case", "--regex", "cuda out|nan loss",
                   str(log))
    assert combined.stdout == separate.stdout and int(combined.stdout) > 0
    dash = run("logs", "grep", "-c", "--", "-x", str(log))  # a pattern starting with "-"
    assert dash.returncode == 1 and dash.stdout == b"0\n"
    level = run("logs", "grep", "-c", "--level=error", "", str(log))
    assert level.stdout == run("logs", "grep", "-c", "--level", "error", "", str(log)).stdout
    helped = run("logs", "grep", "--help")
    assert helped.returncode == 0 and b"usage: hafs-studio logs grep" in helped.stdout
    for bad, words in ((["-q", "x", str(log)], b"unknown option -q"),
                       (["x"], b"expected PATTERN and FILE"),
                       (["--level"], b"--level needs a value")):
        got = run("logs", "grep", *bad)
        assert got.returncode == 2 and words in got.stderr


def test_empty_file(tmp_path) -> None:
    (tmp_path / "empty.log").write_bytes(b"")
    got = run("logs", "grep", "-c", "x", str(tmp_path / "empty.log"))
    assert got.returncode == 1 and got.stdout == b"0\n"


def test_typer_path_gives_the_same_answer(log, tmp_path) -> None:
    fast = run("logs", "grep", "-c", "ERROR", str(log))
    slow = run("--context", str(tmp_path), "logs", "grep", "-c", "ERROR", str(log))
    assert slow.returncode == 0 and slow.stdout == fast.stdout
    listed = run("logs", "--help")
    assert b"grep" in listed.stdout and b"view" in listed.stdout


def test_count_imports_no_gui_cli_framework_or_numpy(log) -> None:
    got = subprocess.run([sys.executable, "-X", "importtime", "-m", "studio", "logs", "grep",
                          "-c", "ERROR", str(log)], capture_output=True, timeout=120,
                         check=False)
    assert got.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in got.stderr.decode().splitlines()
                if line.startswith("import time:")}
    for heavy in ("PySide6", "typer", "click", "pluggy", "numpy", "rich", "studio.core.app",
                  "re"):
        assert heavy not in imported, f"{heavy} imported by logs grep --count"
    assert "studio._native" in imported


def test_permission_denied_names_the_file(denied_file) -> None:
    got = run("logs", "grep", "ERROR", str(denied_file))
    assert got.returncode == 2
    assert f"{denied_file}: Permission denied".encode() in got.stderr
