"""Context workspace: time to first screen for a 10 GB binary, a 100 MB JSONL and 100k files.

Goals (issue 14): a 10 GB (sparse) file in the hex view < 200 ms to the first painted screen;
a 100 MB JSONL in the editor (time to first screen and memory); a folder of 100k files shows
its first rows < 200 ms. Each measurement runs in a fresh process (Qt started before the
clock), interleaved with its anchor in its own fresh process (A B A B …):

- hex view      vs ``xxd -l 640`` (a terminal's first screen of the same file)
- 100 MB JSONL  vs QPlainTextEdit.setPlainText of the whole file (what a naive editor does)
- 100k files    vs QFileSystemModel (Qt's own lazy file model) until its first rows

Run: ``.venv/bin/python benchmarks/context_open.py [--repeats 5]``. Results:
``benchmarks/results/context_open.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median, write_results

REPO = Path(__file__).resolve().parents[1]


# -- measurements (each runs in a fresh process) ------------------------------------------------

def _app():
    """A QApplication with the studio's default theme applied, as in the running studio."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    existing = QApplication.instance()
    if existing is not None:
        return existing
    app = QApplication([])
    from studio.core.themes import DEFAULT_THEME_ID, builtin_theme_dir, load_theme_dir
    from studio.shell.theming import ThemeManager

    manager = ThemeManager(parent=app)
    for spec in load_theme_dir(builtin_theme_dir())[0]:
        manager.register(spec)
    manager.apply(DEFAULT_THEME_ID)
    return app


def _rss_mib() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _until(app, condition, timeout=30.0) -> None:
    end = time.perf_counter() + timeout
    while not condition():
        app.processEvents()
        if time.perf_counter() > end:
            raise TimeoutError("condition not met")


def measure_hex(path: str) -> dict:
    app = _app()
    from studio.plugins.context.binfile import BinaryFile
    from studio.plugins.context.widgets.hex_view import HexView

    view = HexView()
    view.resize(900, 700)
    painted = []
    original = view.paintEvent

    def paint(event):
        original(event)
        painted.append(time.perf_counter())

    view.paintEvent = paint
    view.show()
    _until(app, lambda: painted)
    painted.clear()
    start = time.perf_counter()
    view.set_file(BinaryFile(path))
    view.select(5 * 10**9)  # jump into the middle of the file, as "go to offset" does
    _until(app, lambda: painted)
    return {"seconds": painted[0] - start, "rows": view.rows}


def measure_jsonl_pager(path: str) -> dict:
    app = _app()
    from studio.core.app import Studio
    from studio.core.context import ContextRoot
    from studio.plugins.context.widgets.pager_tab import PagerTab

    studio = Studio(context=ContextRoot(Path(path).parent, "bench"), builtins=(),
                    load_entry_points=False).start()
    before = _rss_mib()
    start = time.perf_counter()
    tab = PagerTab(studio, path, limit=8 * 2**20)
    tab.resize(1000, 700)
    tab.show()
    _until(app, lambda: tab.page is not None and tab.editor.blockCount() > 1)
    app.processEvents()
    first_screen = time.perf_counter() - start
    _until(app, lambda: tab.pager.indexed)
    indexed = time.perf_counter() - start
    result = {"seconds": first_screen, "index_seconds": indexed,
              "rss_delta_mib": _rss_mib() - before, "lines": tab.pager.line_count}
    tab.close_file()
    studio.shutdown()
    return result


def measure_jsonl_naive(path: str) -> dict:
    app = _app()
    from PySide6.QtWidgets import QPlainTextEdit

    before = _rss_mib()
    start = time.perf_counter()
    editor = QPlainTextEdit()
    editor.resize(1000, 700)
    editor.setPlainText(Path(path).read_text(encoding="utf-8"))
    editor.show()
    app.processEvents()
    return {"seconds": time.perf_counter() - start, "rss_delta_mib": _rss_mib() - before}


def measure_browser(path: str) -> dict:
    app = _app()
    from studio.core.app import Studio
    from studio.core.context import ContextRoot
    from studio.plugins.context.service import ContextService
    from studio.plugins.context.widgets.tree_model import BrowserModel

    studio = Studio(context=ContextRoot(Path(path), "bench"), builtins=(),
                    load_entry_points=False).start()
    service = ContextService(studio)
    start = time.perf_counter()
    model = BrowserModel(service)
    root = model.index(0, 0)
    model.fetchMore(root)
    _until(app, lambda: model.rowCount(root) > 0)
    first = time.perf_counter() - start
    rows = model.rowCount(root)
    _until(app, lambda: model.loading == 0, timeout=120)
    model.flush_pending()
    done = time.perf_counter() - start
    result = {"seconds": first, "first_rows": rows, "all_listed_seconds": done,
              "total_rows": model.rowCount(root)}
    model.close()
    service.close()
    studio.shutdown()
    return result


def measure_qfilesystemmodel(path: str) -> dict:
    app = _app()
    from PySide6.QtWidgets import QFileSystemModel

    start = time.perf_counter()
    model = QFileSystemModel()
    root = model.setRootPath(path)
    _until(app, lambda: model.rowCount(root) > 0, timeout=120)
    return {"seconds": time.perf_counter() - start, "first_rows": model.rowCount(root)}


def measure_xxd(path: str) -> dict:
    start = time.perf_counter()
    subprocess.run(["xxd", "-s", str(5 * 10**9), "-l", "640", path], check=True,
                   capture_output=True)
    return {"seconds": time.perf_counter() - start}


CASES = {"hex": measure_hex, "jsonl-pager": measure_jsonl_pager,
         "jsonl-naive": measure_jsonl_naive, "browser": measure_browser,
         "qfilesystemmodel": measure_qfilesystemmodel}


# -- driver ----------------------------------------------------------------------------------

def warmed(case: str, path: str) -> dict:
    """Measure ``case`` after one untimed run on a tiny file of the same kind.

    A running studio has Qt's enums, fonts and Pygments loaded already; the first use in a
    fresh process pays for them once (~0.2-0.4 s here), which is not what opening a file costs.
    """
    tiny = Path(tempfile.mkdtemp(prefix="warm-"))
    if case in ("hex",):
        (tiny / "w.bin").write_bytes(bytes(range(256)) * 64)
        warm_path = str(tiny / "w.bin")
        CASES[case](warm_path) if case != "hex" else _warm_hex(warm_path)
    elif case.startswith("jsonl"):
        (tiny / "w.jsonl").write_text('{"a": 1}\n' * 50)
        CASES[case](str(tiny / "w.jsonl"))
    else:
        (tiny / "d").mkdir()
        (tiny / "d" / "x.json").touch()
        CASES[case](str(tiny / "d"))
    return CASES[case](path)


def _warm_hex(path: str) -> None:
    app = _app()
    from studio.plugins.context.binfile import BinaryFile
    from studio.plugins.context.widgets.hex_view import HexView

    view = HexView()
    view.set_file(BinaryFile(path))
    view.show()
    view.repaint()
    app.processEvents()
    view.close()


def _run(case: str, path: str) -> dict:
    if case == "xxd":
        return measure_xxd(path)  # the anchor is itself a fresh process
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               HAFS_STUDIO_HOME=tempfile.mkdtemp(prefix="bench-home-"))
    out = subprocess.run([sys.executable, __file__, "--measure", case, path], check=True,
                         capture_output=True, text=True, env=env, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _previous_rows() -> dict:
    """The figures of the last full run, so running one pair again keeps the others."""
    path = REPO / "benchmarks" / "results" / "context_open.json"
    try:
        return dict(json.loads(path.read_text())["results"])
    except (OSError, ValueError, KeyError):
        return {}


def make_data(folder: Path, wanted: set[str]) -> dict[str, str]:
    sparse = folder / "sparse-10GB.bin"
    jsonl = folder / "data-100MB.jsonl"
    files = folder / "100k"
    if "hex" in wanted:
        _make_sparse(sparse)
    if "jsonl" in wanted:
        _make_jsonl(jsonl)
    if "browser" in wanted:
        files.mkdir()
        for i in range(100_000):
            (files / f"sample_{i:06d}.json").touch()
    return {"sparse": str(sparse), "jsonl": str(jsonl), "files": str(files)}


def _make_sparse(sparse: Path) -> None:
    with open(sparse, "wb") as handle:
        handle.truncate(10 * 10**9)
        for offset in range(0, 10 * 10**9, 10**9):
            handle.seek(offset)
            handle.write(b"GGUF block %d " % offset * 4)


def _make_jsonl(jsonl: Path) -> None:
    line = {"instruction": "Explain the routine", "output": "x" * 300,
            "_metadata": {"sample_id": "", "domain": "asm", "quality_score": 0.8}}
    with open(jsonl, "w") as handle:
        i = 0
        while handle.tell() < 100 * 10**6:
            line["_metadata"]["sample_id"] = f"s-{i}"
            handle.write(json.dumps(line) + "\n")
            i += 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--measure", nargs=2)
    parser.add_argument("--cases", default="hex,jsonl,browser",
                        help="which pairs to run (hex, jsonl, browser); the results file "
                             "keeps the figures of pairs not run")
    parser.add_argument("--confirm", action="store_true",
                        help="a second run: its medians are added to the kept figures as "
                             "confirm_* instead of replacing them")
    args = parser.parse_args()
    if args.measure:
        case, path = args.measure
        print(json.dumps(warmed(case, path)))
        return
    if shutil.which("xxd") is None:
        sys.exit("xxd (the anchor) is not installed")
    wanted = set(args.cases.split(","))
    folder = Path(tempfile.mkdtemp(prefix="context-bench-"))
    try:
        data = make_data(folder, wanted)
        pairs = [("hex", "xxd", data["sparse"]), ("jsonl-pager", "jsonl-naive", data["jsonl"]),
                 ("browser", "qfilesystemmodel", data["files"])]
        pairs = [p for p in pairs if p[0].split("-")[0] in wanted]
        rows = _previous_rows()
        for ours, anchor, path in pairs:
            samples: dict[str, list[dict]] = {ours: [], anchor: []}
            for _ in range(args.repeats):
                samples[ours].append(_run(ours, path))
                samples[anchor].append(_run(anchor, path))
            for case, runs in samples.items():
                summary = {"median_ms": median([r["seconds"] for r in runs]) * 1000,
                           "runs_ms": [round(r["seconds"] * 1000, 2) for r in runs]}
                for key in runs[0]:
                    if key != "seconds" and isinstance(runs[0][key], int | float):
                        summary[f"median_{key}"] = median([r[key] for r in runs])
                summary["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                if args.confirm and case in rows:
                    rows[case].update({f"confirm_{k}": v for k, v in summary.items()})
                else:
                    rows[case] = summary
                print(f"{case:<18} median {summary['median_ms']:9.1f} ms  "
                      f"runs {summary['runs_ms']}")
        write_results("context_open", {
            "repeats": args.repeats,
            "interleaved": "ours, anchor, ours, anchor ... each in a fresh process",
            "goals_ms": {"hex": 200, "browser": 200},
            "data": {"sparse": "10 GB sparse file, data every 1 GB",
                     "jsonl": "100 MB JSONL, ~350-byte lines",
                     "files": "100,000 empty files in one folder"},
            "results": rows,
        })
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
