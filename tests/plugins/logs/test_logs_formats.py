"""Format detection, levels and timestamps of the built-in formats (Qt-free)."""

from __future__ import annotations

import pytest
from logs_helpers import REAL_LOG

from studio import native
from studio.plugins.logs.formats import (
    PLAIN_FORMAT,
    FormatRegistry,
    Level,
    LogFormat,
    iso_timestamp,
    matching_fraction,
    parse_level,
    parse_user_timestamp,
)

SAMPLES = {
    "hafs-campaign": [
        "2025-12-22 18:30:00,001 [__main__] INFO: TRAINING DATA GENERATION CAMPAIGN",
        "2025-12-22 18:30:00,002 [__main__] INFO: Target: 34500 samples",
        "2025-12-22 18:31:02,417 [agents.training.curator] INFO: Progress: 1234/34500",
        "2025-12-22 18:31:05,000 [agents.training.curator] WARNING: quality pass rate 41.0%",
        "2025-12-22 18:31:09,123 [agents.training.curator] INFO: Generating from domain: asm",
    ],
    "hafs-daemon": [
        "2025-12-22 18:31:02,417 [INFO] services.daemons.training_daemon: TrainingDaemon started",
        "2025-12-22 18:31:03,001 [INFO] services.daemons.training_daemon: Running task: asm",
        "2025-12-22 18:32:03,001 [ERROR] services.daemons.training_daemon: Task asm failed: x",
    ],
    "python-logging": [
        "2024-05-01 12:00:00,123 - trainer - INFO - step 1 loss=1.25",
        "2024-05-01 12:00:01,456 - trainer - WARNING - grad norm 12.0",
        "ERROR:root:something broke",
        "2024-05-01 12:00:02,789 - trainer - DEBUG - batch 3",
    ],
    "llama-cpp": [
        "build: 4120 (d4c6f4e) with cc (Debian 12.2.0-14) 12.2.0 for x86_64-linux-gnu",
        "system_info: n_threads = 2 (n_threads_batch = 2) / 2 | CPU : SSE3 = 1 |",
        "llama_model_loader: loaded meta data with 24 key-value pairs and 201 tensors",
        "print_info: file type   = Q4_K - Medium",
        "main: server is listening on http://127.0.0.1:8080 - starting the main loop",
        "srv  update_slots: all slots are idle",
        "slot launch_slot_: id  0 | task 0 | processing task",
    ],
    "llama-cpp-python": [
        "llama_model_loader: loaded meta data with 24 key-value pairs and 201 tensors",
        "INFO:     Started server process [4242]",
        "INFO:     Waiting for application startup.",
        "INFO:     Application startup complete.",
        "INFO:     Uvicorn running on http://127.0.0.1:8000 (Press CTRL+C to quit)",
        'INFO:     127.0.0.1:50312 - "POST /v1/chat/completions HTTP/1.1" 200 OK',
    ],
}


@pytest.mark.parametrize("format_id", sorted(SAMPLES))
def test_each_builtin_format_is_detected(registry, format_id: str) -> None:
    assert registry.detect(SAMPLES[format_id]).id == format_id


def test_the_real_hafs_training_log_is_hugging_face_training(registry) -> None:
    lines = REAL_LOG.read_bytes().decode().split("\n")
    fmt = registry.detect(lines)
    assert fmt.id == "hf-training"
    levels = native.classify_levels(REAL_LOG.read_bytes(), fmt.level_tokens,
                                    max_column=fmt.level_max_column)
    # The transformers UserWarning (line 2) and the DataLoader UserWarning after tqdm's first
    # state are warnings; the header is not.
    assert levels[1] == Level.WARNING
    assert int((levels == Level.WARNING).sum()) == 2
    assert fmt.timestamp("Training started at: 2025-12-22 00:09:14") is not None


def test_unknown_text_is_plain(registry) -> None:
    assert registry.detect(["hello", "world", "nothing to see"]) is PLAIN_FORMAT
    assert registry.detect([]) is PLAIN_FORMAT


def test_timestamps_of_python_logging(registry) -> None:
    parse = registry.get("python-logging").timestamp
    first = parse("2024-05-01 12:00:00,123 - trainer - INFO - x")
    assert first == pytest.approx(parse("2024-05-01 12:00:00.000 x") + 0.123)
    assert parse("no time here") is None
    assert parse("2024-13-01 12:00:00 bad month") is None


def test_user_timestamps() -> None:
    full = parse_user_timestamp("2025-12-22 18:31:02")
    assert parse_user_timestamp("18:31:02", reference=full - 3600) == full
    assert parse_user_timestamp("2025-12-22T18:31:02.5") == full + 0.5
    with pytest.raises(ValueError, match="expected a time"):
        parse_user_timestamp("yesterday")
    with pytest.raises(ValueError, match="give the date"):
        parse_user_timestamp("18:31")


def test_levels_parse_names_and_aliases() -> None:
    assert parse_level("Error") == parse_level("critical") == Level.ERROR
    assert parse_level("warn") == Level.WARNING
    with pytest.raises(ValueError, match="choose from"):
        parse_level("loud")


def test_registry_is_per_instance_and_refuses_duplicates() -> None:
    first, second = FormatRegistry(), FormatRegistry()
    mine = LogFormat("mine", "Mine", matching_fraction(r"MINE "), plugin="tests",
                     timestamp=iso_timestamp())
    first.register(mine)
    assert "mine" in first.ids() and "mine" not in second.ids()
    with pytest.raises(ValueError, match="already registered by plugin 'tests'"):
        first.register(mine)
    assert first.detect(["MINE a", "MINE b"]).id == "mine"
    first.remove_plugin("tests")
    assert first.ids() == ["plain"]
    with pytest.raises(KeyError, match="unknown log format 'mine'"):
        first.get("mine")


def test_a_broken_detector_never_stops_detection() -> None:
    registry = FormatRegistry()
    registry.register(LogFormat("broken", "Broken", lambda lines: 1 / 0))
    assert registry.detect(["x"]) is PLAIN_FORMAT


def test_bad_format_definitions_are_refused() -> None:
    with pytest.raises(ValueError, match="invalid log format id"):
        LogFormat("Bad Id", "x", lambda lines: 0.0)
    with pytest.raises(ValueError, match="bad level token"):
        LogFormat("ok", "x", lambda lines: 0.0, level_tokens={"": 3})
