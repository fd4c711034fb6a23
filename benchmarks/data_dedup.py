"""Near-duplicates of 100k samples: ``hafs-studio data dedup``'s code vs datasketch MinHashLSH.

Same texts (instruction, input and output of each line, as the Data plugin compares them),
same shingles (5 characters), same threshold (0.8) and 128 permutations. Each run is a fresh
process, ours and the anchor interleaved, after one uncounted warm-up of ours (the anchor is
too slow to warm up twice). Timed inside the child, from the texts in memory to the answer:

* ``studio`` — ``near_duplicate_clusters`` (native MinHash + LSH, every candidate verified on
  the exact shingle sets, clusters);
* ``datasketch`` — ``MinHash.update_batch`` of the shingles, ``MinHashLSH.insert`` then
  ``query`` per text: candidates by estimate only, no exact check, no clusters.

Recall is measured on the planted pairs (a copy with one word changed).

    pip install -e '.[bench]'; python benchmarks/data_dedup.py [--repeats 5] [--samples N]

Results go to ``results/data_dedup.json`` (100k samples) or ``results/data_dedup_<N>.json``:
datasketch needs ~4-20 min per 100k run on the shared 2-core VM, so a smaller size is how
five interleaved repeats fit in a session.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import child_environment, median, print_table, write_results
from _data_sets import dedup_dataset

LOAD = """
import json, sys, time
from studio.plugins.data.dataset import read_dataset
dataset = read_dataset(sys.argv[1])
texts = [s.text for s in dataset.samples]
planted = int(sys.argv[2])
originals = len(texts) - planted
truth = {(i, originals + i) for i in range(planted)}
"""
OURS = LOAD + """
from studio.plugins.data.diversity import near_duplicate_clusters
t, c = time.perf_counter(), time.process_time()
report = near_duplicate_clusters(texts, 0.8)
seconds, cpu = time.perf_counter() - t, time.process_time() - c
groups = {i: n for n, c in enumerate(report.clusters) for i in c.members}
found = sum(1 for a, b in truth if a in groups and groups.get(a) == groups.get(b))
print(json.dumps({"seconds": seconds, "cpu_s": cpu, "recall": found / len(truth),
                  "clusters": len(report.clusters), "pairs": report.pairs}))
"""
ANCHOR = LOAD + """
from datasketch import MinHash, MinHashLSH
t, c = time.perf_counter(), time.process_time()
lsh = MinHashLSH(threshold=0.8, num_perm=128)
hashes = []
for i, text in enumerate(texts):
    m = MinHash(num_perm=128)
    m.update_batch([text[j:j + 5].encode("utf-8") for j in range(max(1, len(text) - 4))])
    lsh.insert(i, m)
    hashes.append(m)
pairs = set()
for i, m in enumerate(hashes):
    for j in lsh.query(m):
        if j != i:
            pairs.add((min(i, j), max(i, j)))
seconds, cpu = time.perf_counter() - t, time.process_time() - c
found = len(truth & pairs)
print(json.dumps({"seconds": seconds, "cpu_s": cpu, "recall": found / len(truth),
                  "pairs": len(pairs)}))
"""


def _child(code: str, folder: Path, planted: int) -> dict:
    done = subprocess.run([sys.executable, "-c", code, str(folder), str(planted)],
                          capture_output=True, text=True, check=True, env=child_environment())
    return json.loads(done.stdout.strip().splitlines()[-1])


def _write(samples: int, planted: int, repeats: int, load_at_start: list[float],
           ours: list[dict], anchor: list[dict]) -> Path:
    o = [r["seconds"] for r in ours]
    a = [r["seconds"] for r in anchor]
    name = "data_dedup" if samples == 100_000 else f"data_dedup_{samples}"
    return write_results(name, {
        "samples": samples, "planted_pairs": planted, "threshold": 0.8, "num_perm": 128,
        "shingle": "5 characters", "repeats_requested": repeats,
        "repeats_completed": len(ours), "partial": len(ours) < repeats,
        "load_average_at_start": load_at_start, "load_average_at_end": list(os.getloadavg()),
        "note": "other helpers' builds and tests shared this 2-core machine during the run",
        "order": "interleaved: ours, anchor per repeat; each a fresh process",
        "studio": ours, "datasketch": anchor, "median_studio_s": median(o),
        "median_datasketch_s": median(a), "speedup": median(a) / median(o),
        "median_studio_cpu_s": median([r["cpu_s"] for r in ours]),
        "median_datasketch_cpu_s": median([r["cpu_s"] for r in anchor]),
    })


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--samples", type=int, default=100_000)
    args = parser.parse_args()
    folder, planted = dedup_dataset(args.samples, args.samples // 20)
    load_at_start = list(os.getloadavg())
    _child(OURS, folder, planted)  # warm-up
    ours, anchor = [], []
    for _ in range(args.repeats):
        ours.append(_child(OURS, folder, planted))
        anchor.append(_child(ANCHOR, folder, planted))
        print(f"studio {ours[-1]['seconds']:.2f} s, datasketch {anchor[-1]['seconds']:.1f} s",
              flush=True)
        # Written after every pair: a run stopped early still leaves what it measured.
        path = _write(args.samples, planted, args.repeats, load_at_start, ours, anchor)
    o = [r["seconds"] for r in ours]
    a = [r["seconds"] for r in anchor]
    rows = [("studio near_duplicate_clusters", median(o), min(o), max(o), ours[0]["recall"]),
            ("datasketch MinHashLSH (estimate only)", median(a), min(a), max(a),
             anchor[0]["recall"])]
    print_table(("implementation", "median_s", "min_s", "max_s", "recall"), rows,
                title=f"near-duplicates of {args.samples:,} samples ({planted:,} planted)")
    print(f"results: {path}")


if __name__ == "__main__":
    main()
