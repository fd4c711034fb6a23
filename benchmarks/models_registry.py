"""Registry of 10,000 hafs entries: load + filter (issue 4 goal: < 100 ms), and one patch.

    python benchmarks/models_registry.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import median, print_table, write_results
from studio.plugins.models.registry import Registry, RegistryStore, dumps_registry
from studio.plugins.models.schema import new_entry

DATA = Path(os.environ.get("HAFS_BENCH_DATA", "/tmp/hafs-bench-data")) / "models-registry"
ROLES = ["asm", "debug", "general", "yaze"]


def make_registry(path: Path, count: int) -> None:
    models = {}
    for i in range(count):
        model_id = f"oracle-expert{i}-{ROLES[i % 4]}-qwen25-coder-15b-2025{i % 12 + 1:02d}01"
        models[model_id] = new_entry(
            model_id, display_name=f"Oracle: Expert {i}", role=ROLES[i % 4],
            base_model="Qwen/Qwen2.5-Coder-1.5B", group="rom-tooling", final_loss=0.9,
            dataset_quality={"acceptance_rate": 0.8}, lora_config={"r": 16, "lora_alpha": 32},
            hyperparameters={"learning_rate": 2e-4, "batch_size": 1}, formats=["pytorch"],
            locations={"windows": f"D:/hafs_training/models/{model_id}"},
            deployed_backends=["ollama"] if i % 5 == 0 else [], tags=["asm", "65816"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(dumps_registry(Registry(models=models, updated_at="2025-12-22T19:02:11")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args(argv)
    path = DATA / "registry.json"
    make_registry(path, args.count)
    store = RegistryStore(path)
    loads, filters, patches = [], [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        registry = store.load()
        loaded = time.perf_counter()
        hits = registry.filter(text="expert12", role="asm", location="windows", backend="ollama")
        filters.append(time.perf_counter() - loaded)
        loads.append(loaded - start)
    for _ in range(3):
        start = time.perf_counter()
        store.patch(next(iter(registry.models)), notes="benchmark")
        patches.append(time.perf_counter() - start)
    total_ms = median([a + b for a, b in zip(loads, filters, strict=True)]) * 1000
    rows = [["load", median(loads) * 1000], ["filter", median(filters) * 1000],
            ["load + filter", total_ms], ["patch (locked re-read + write)", median(patches) * 1000]]
    size_mb = path.stat().st_size / 1e6
    print_table(["operation", "ms"], rows,
                title=f"registry.json with {args.count} entries ({size_mb:.1f} MB)")
    result = write_results("models_registry", {
        "entries": args.count, "file_mb": size_mb, "load_ms": median(loads) * 1000,
        "filter_ms": median(filters) * 1000, "load_filter_ms": total_ms, "goal_ms": 100,
        "patch_ms": median(patches) * 1000, "filter_hits": len(hits)})
    print(f"\nresults: {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
