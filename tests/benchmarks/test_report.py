"""benchmarks/report.py: tables between markers come from results files; the rest is kept."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "bench_report", Path(__file__).resolve().parents[2] / "benchmarks" / "report.py")
assert _SPEC and _SPEC.loader
report = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(report)


def _results(tmp_path: Path) -> Path:
    results = tmp_path / "results"
    results.mkdir()
    (results / "native_demo.json").write_text(json.dumps({
        "benchmark": "native_demo", "date": "2026-12-01 10:00",
        "machine": {"cpu": "Test CPU", "cores": 2},
        "method": {"repeats": 5, "load_average_before": [0.5], "quiet_machine": True},
        "anchors": {"tool (1 thread(s))": {"version": "tool 1.0"}},
        "columns": ["case", "impl", "threads", "ms"],
        "results": [{"case": "a|b", "impl": "studio", "threads": 1, "ms": 12.345, "runs": [1]},
                    {"case": "a|b", "impl": "tool", "threads": 1, "ms": 1234.5}],
        "goals": [{"goal": "studio <= tool", "measured": 0.01, "unit": "x tool", "met": True},
                  {"goal": "studio <= 1 ms", "measured": 12.3, "unit": "ms", "met": False}],
    }))
    (results / "other.json").write_text(json.dumps({"benchmark": "other", "results": [{"x": 1.5}]}))
    return results


def test_regenerates_only_between_markers(tmp_path: Path) -> None:
    results = _results(tmp_path)
    doc = ("# Hand-written title\n\nkept prose\n\n<!-- report: native_demo table -->\nstale\n"
           "<!-- /report -->\n\nmore prose\n<!-- report: native_* summary -->\n<!-- /report -->\n"
           "<!-- report: native_demo goals -->\nold\n<!-- /report -->\n")
    out = report.regenerate(doc, results)
    assert out.startswith(
        "# Hand-written title\n\nkept prose\n\n<!-- report: native_demo table -->\n")
    assert "stale" not in out and "old\n" not in out and "\n\nmore prose\n" in out
    assert "| a\\|b | studio | 1 | 12.3 |" in out and "| a\\|b | tool | 1 | 1,234 |" in out
    assert "5 fresh-process runs per figure" in out and "runs" not in out.split("| case")[1][:40]
    assert "- **missed**: studio <= 1 ms — measured 12.3 ms" in out
    assert "| studio <= tool | 0.01 x tool | yes | `native_demo.json` |" in out
    assert report.regenerate(out, results) == out  # idempotent


def test_loaded_machine_is_flagged(tmp_path: Path) -> None:
    results = _results(tmp_path)
    data = json.loads((results / "native_demo.json").read_text())
    data["method"]["quiet_machine"] = False
    (results / "native_demo.json").write_text(json.dumps(data))
    out = report.regenerate("<!-- report: native_demo table -->\n<!-- /report -->", results)
    assert "not a quiet machine: re-run" in out


def test_columns_default_to_every_key(tmp_path: Path) -> None:
    out = report.regenerate("<!-- report: other table -->\n<!-- /report -->", _results(tmp_path))
    assert "| x |" in out and "| 1.5 |" in out


def test_unknown_results_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(report.ReportError, match="no results file matches 'missing'"):
        report.regenerate("<!-- report: missing table -->\n<!-- /report -->", _results(tmp_path))


def test_check_mode_reports_stale_docs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report, "RESULTS", _results(tmp_path))
    doc = tmp_path / "doc.md"
    doc.write_text("<!-- report: native_demo goals -->\n<!-- /report -->\n")
    assert report.main(["--check", str(doc)]) == 1
    assert report.main([str(doc)]) == 0
    assert report.main(["--check", str(doc)]) == 0
    assert "- met: studio <= tool" in doc.read_text()
