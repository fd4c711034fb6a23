"""Embedding + 2-D map of 100k samples, vs the textbook NumPy PCA of the same vectors.

* ``studio`` — what the Diversity view's job runs: the native hashed n-gram embedder over the
  samples' texts, then ``Moments`` (Σx, XᵀX in float32) and ``pca_2d`` (eigh of the 384x384
  covariance) — the same moments also give the diversity figures;
* ``numpy svd`` — the anchor for the PCA step alone: centre the same vectors and
  ``np.linalg.svd(full_matrices=False)``, the usual way to do PCA with NumPy.

Each a fresh process, interleaved, timed inside the child; ≥ 5 repeats, medians.

    python benchmarks/data_embed.py [--repeats 5]
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

OURS = """
import json, sys, time
import numpy as np
from studio.core.jobs import NULL_CONTEXT
from studio.plugins.data.dataset import read_dataset
from studio.plugins.data.diversity import Moments
from studio.plugins.data.embeddings import hashed_ngram_embedder
from studio.plugins.data.projection import pca_2d
texts = [s.text[:8000] for s in read_dataset(sys.argv[1]).samples]
t = time.perf_counter()
vectors = hashed_ngram_embedder().embed(texts, NULL_CONTEXT)
embed = time.perf_counter() - t
moments = Moments.of(vectors)
points = pca_2d(vectors, moments).points
total = time.perf_counter() - t
np.save(sys.argv[2], vectors)
print(json.dumps({"embed_s": embed, "pca_s": total - embed, "total_s": total,
                  "mb": sum(len(x.encode()) for x in texts) / 1e6}))
"""
ANCHOR = """
import json, sys, time
import numpy as np
vectors = np.load(sys.argv[2])
t = time.perf_counter()
centred = vectors - vectors.mean(axis=0)
u, s, vt = np.linalg.svd(centred, full_matrices=False)
points = centred @ vt[:2].T
print(json.dumps({"pca_s": time.perf_counter() - t}))
"""


def _child(code: str, folder: Path, vectors: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", code, str(folder), str(vectors)],
                          capture_output=True, text=True, check=True, env=child_environment())
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    folder, _ = dedup_dataset(100_000, 5_000)
    vectors = folder / "vectors.npy"
    _child(OURS, folder, vectors), _child(ANCHOR, folder, vectors)  # warm-up
    ours, anchor = [], []
    for _ in range(args.repeats):
        ours.append(_child(OURS, folder, vectors))
        anchor.append(_child(ANCHOR, folder, vectors))
    rows = []
    for name, key in (("studio embed (native, 384-d)", "embed_s"),
                      ("studio PCA (moments + eigh)", "pca_s"),
                      ("studio embed + PCA", "total_s")):
        values = [r[key] for r in ours]
        rows.append((name, median(values), min(values), max(values)))
    values = [r["pca_s"] for r in anchor]
    rows.append(("NumPy PCA (centre + svd)", median(values), min(values), max(values)))
    print_table(("step", "median_s", "min_s", "max_s"), rows,
                title=f"embedding + PCA of 100,000 samples ({ours[0]['mb']:.0f} MB of text)")
    path = write_results("data_embed", {
        "samples": 100_000, "text_mb": ours[0]["mb"], "repeats": args.repeats,
        "load_average_at_end": list(os.getloadavg()),
        "note": "other helpers' builds and tests shared this 2-core machine during the run",
        "order": "interleaved: ours, anchor per repeat; each a fresh process",
        "studio": ours, "numpy_svd": anchor,
        "median_total_s": median([r["total_s"] for r in ours]),
        "median_studio_pca_s": median([r["pca_s"] for r in ours]),
        "median_numpy_pca_s": median(values),
    })
    print(f"results: {path}")


if __name__ == "__main__":
    main()
