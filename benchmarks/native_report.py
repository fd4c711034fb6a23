"""Renders benchmarks/results/native_*.json as the Markdown tables of docs/native.md."""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
METRICS = ["GB_per_s", "ms", "queries_per_s", "seconds", "MB_per_s", "recall_at_10", "recall"]


def fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if value < 100 else f"{value:,.0f}"
    return "" if value is None else str(value).replace("|", "\\|")  # keep table cells intact


def main() -> None:
    for path in sorted(RESULTS.glob("native_*.json")):
        data = json.loads(path.read_text())
        machine = data["machine"]
        print(f"### {data['benchmark']} ({data['date']}, {machine['cpu']}, {machine['cores']} "
              f"cores, load {fmt(machine['load_average_at_start'][0])})\n")
        metrics = [m for m in METRICS if any(m in r for r in data["results"])]
        print("| case | implementation | threads | " + " | ".join(metrics) + " |")
        print("|---|---|---|" + "---|" * len(metrics))
        for r in data["results"]:
            threads = r["threads"] if r["threads"] else "all"
            cells = [fmt(r["case"]), fmt(r["impl"]), str(threads)]
            cells += [fmt(r.get(m)) for m in metrics]
            print("| " + " | ".join(cells) + " |")
        print()
        for g in data["goals"]:
            print(f"- {'met' if g['met'] else '**missed**'}: {g['goal']} — measured "
                  f"{g['measured']} {g['unit']}")
        print()


if __name__ == "__main__":
    main()
