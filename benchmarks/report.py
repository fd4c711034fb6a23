"""Renders benchmark results (benchmarks/results/*.json) into the docs between markers.

Figures in the docs are never typed by hand: a Markdown file holds marker pairs

    <!-- report: native_embeddings table -->
    (generated; replaced on every run)
    <!-- /report -->

and everything outside them (hand-written reasoning, other plugins' sections) is kept as is.
``NAME`` is a results file (``results/NAME.json``) or a glob over them (``native_*``). Parts:

* ``table``: the rows of ``results`` (the file's ``columns`` when it lists them, else every key
  but ``runs``), headed by where and how they were measured;
* ``goals``: the file's goals as a list, met or **missed**;
* ``facts``: the anchors' versions and thread pools, the relations checked, notes;
* ``summary``: one table of the goals of every matching file.

Any benchmark family can use it: a results file needs ``results`` (a list of flat dicts) and
may have ``goals`` (``goal``, ``measured``, ``unit``, ``met``), ``columns``, ``method``,
``machine``, ``anchors``, ``notes``. Run ``python benchmarks/report.py`` (all docs/*.md) or name
files; ``--check`` only reports whether a file is out of date (exit status 1).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
MARKER = re.compile(r"<!-- report: (?P<name>[\w*?.-]+) (?P<part>table|goals|facts|summary) -->\n"
                    r"(?P<body>.*?)<!-- /report -->", re.S)


class ReportError(ValueError):
    """A marker names a results file or part that does not exist."""


def fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, float):
        if value != value:
            return "nan"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    if isinstance(value, int) and abs(value) >= 10_000:
        return f"{value:,}"
    if value is None:
        return ""
    return str(value).replace("|", "\\|")


def load(name: str, results: Path) -> list[dict[str, Any]]:
    paths = sorted(p for p in results.glob("*.json") if fnmatch.fnmatch(p.stem, name))
    if not paths:
        raise ReportError(f"no results file matches {name!r} in {results}")
    out = []
    for path in paths:
        data = json.loads(path.read_text())
        data.setdefault("benchmark", path.stem)
        data["_file"] = path.name
        out.append(data)
    return out


def provenance(data: dict[str, Any]) -> str:
    machine, method = data.get("machine", {}), data.get("method", {})
    bits = [str(data.get("date", "")), str(machine.get("cpu", "")),
            f"{machine.get('cores', machine.get('logical_cores', '?'))} cores"]
    if method:
        load_before = method.get("load_average_before") or [float("nan")]
        bits.append(f"{method.get('repeats')} fresh-process runs per figure, interleaved, "
                    f"medians; load {fmt(load_before[0])}")
        if not method.get("quiet_machine", False):
            bits.append("**not a quiet machine: re-run**")
    elif "load_average_at_start" in machine:
        bits.append(f"load {fmt(machine['load_average_at_start'][0])}")
    return f"*{data['benchmark']}* ({', '.join(b for b in bits if b)}; `{data['_file']}`)"


def table(data: dict[str, Any]) -> str:
    rows = data.get("results")
    if not isinstance(rows, list):
        raise ReportError(f"{data['_file']} has no 'results' list to tabulate")
    columns = data.get("columns") or list(dict.fromkeys(
        key for row in rows for key in row if key not in ("runs",)))
    lines = [provenance(data), "", "| " + " | ".join(c.replace("_", " ") for c in columns) + " |",
             "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def goals(data: dict[str, Any]) -> str:
    return "\n".join(f"- {'met' if g['met'] else '**missed**'}: {fmt(g['goal'])} — measured "
                     f"{fmt(g['measured'])} {g['unit']}" for g in data.get("goals", []))


def facts(data: dict[str, Any]) -> str:
    lines = []
    for anchor, info in data.get("anchors", {}).items():
        lines.append(f"- anchor {anchor}: " + "; ".join(
            f"{k} {json.dumps(v) if isinstance(v, list | dict) else v}" for k, v in info.items()))
    if data.get("checks_passed"):
        lines.append("- relations checked before writing: " + "; ".join(data["checks_passed"]))
    lines += [f"- {note}" for note in data.get("notes", [])]
    return "\n".join(lines)


def summary(files: list[dict[str, Any]]) -> str:
    lines = ["| goal | measured | met | results |", "|---|---|---|---|"]
    for data in files:
        quiet = data.get("method", {}).get("quiet_machine", True)
        for g in data.get("goals", []):
            lines.append(f"| {fmt(g['goal'])} | {fmt(g['measured'])} {g['unit']} | "
                         f"{'yes' if g['met'] else '**no**'} | `{data['_file']}`"
                         f"{'' if quiet else ' (loaded machine: re-run)'} |")
    return "\n".join(lines)


def render(name: str, part: str, results: Path | None = None) -> str:
    files = load(name, results or RESULTS)
    if part == "summary":
        return summary(files)
    renderer = {"table": table, "goals": goals, "facts": facts}[part]
    return "\n\n".join(renderer(data) for data in files)


def regenerate(text: str, results: Path | None = None) -> str:
    def replace(match: re.Match[str]) -> str:
        body = render(match["name"], match["part"], results)
        return f"<!-- report: {match['name']} {match['part']} -->\n{body}\n<!-- /report -->"
    return MARKER.sub(replace, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is out of date")
    args = parser.parse_args(argv)
    files = args.files or sorted((ROOT / "docs").glob("*.md"))
    stale = []
    for path in files:
        text = path.read_text()
        try:
            new = regenerate(text)
        except ReportError as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            return 2
        if new == text:
            continue
        stale.append(path)
        if not args.check:
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_text(new)
            tmp.replace(path)
            print(f"regenerated {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    if args.check and stale:
        print("out of date: " + ", ".join(map(str, stale)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
