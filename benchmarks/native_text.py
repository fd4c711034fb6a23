"""Kernels 7 and 8 benchmark: near-duplicates vs datasketch, and the hashed n-gram embedder.

Goals (issue 3): 100k short texts (~500 chars) deduplicated in < 3 s with recall >= 0.95 on
planted near-duplicates; embedder >= 20 MB/s of text. datasketch MinHashLSH (pure Python per
text) runs on the first 20k texts, with the studio on the same 20k, so its five runs fit in
minutes; a Python loop that only builds the same shingles is its floor (datasketch does that
and more).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _fresh import (
    Checks,
    Impl,
    child_argv,
    child_report,
    finish,
    goal,
    interleaved,
    load_average,
    median_seconds,
    time_calls,
)
from native_data import DATA_DIR, texts

THRESHOLD, NUM_PERM, N, N_ANCHOR = 0.8, 128, 100_000, 20_000
SCRIPT = str(Path(__file__).resolve())
DEDUP, DEDUP_ANCHOR, EMBED = "near-duplicates 100k", "near-duplicates 20k", "embed 100k texts"


def text_file() -> Path:
    path = DATA_DIR / "texts-100k.txt"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        docs, _ = texts(N)
        tmp = path.with_suffix(".tmp")
        tmp.write_text("\n".join(docs) + "\n")
        tmp.replace(path)
    return path


def load_docs() -> list[str]:
    return text_file().read_text().split("\n")[:N]


def shingles(doc: str) -> list[bytes]:
    return [doc[j : j + 5].encode() for j in range(len(doc) - 4)]


def datasketch_pairs(docs: list[str]) -> set[tuple[int, int]]:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    hashes = []
    for i, doc in enumerate(docs):
        m = MinHash(num_perm=NUM_PERM)
        m.update_batch(shingles(doc))
        lsh.insert(i, m)
        hashes.append(m)
    return {(min(i, j), max(i, j)) for i, m in enumerate(hashes) for j in lsh.query(m) if j != i}


def child(name: str, threads: int) -> None:
    from studio import native

    docs = load_docs()
    if name == "datasketch":
        import datasketch

        found: set[tuple[int, int]] = set()
        times = time_calls(lambda: found.update(datasketch_pairs(docs[:N_ANCHOR])), inner=1,
                           warmup=0)
        child_report(times, pairs=sorted(found), datasketch=datasketch.__version__)
    elif name == "shingle floor":
        child_report(time_calls(lambda: [shingles(d) for d in docs[:N_ANCHOR]], inner=1))
    elif name.startswith("dedup"):
        subset = docs[:N_ANCHOR] if name == "dedup 20k" else docs
        times = time_calls(lambda: native.find_near_duplicates(
            subset, threshold=THRESHOLD, num_perm=NUM_PERM, threads=threads), inner=1)
        result = native.find_near_duplicates(subset, threshold=THRESHOLD, num_perm=NUM_PERM,
                                             threads=threads)
        child_report(times, pairs=result.pairs.tolist(), candidates=result.candidates)
    else:
        mb = sum(len(d.encode()) for d in docs) / 1e6
        child_report(time_calls(lambda: native.embed_texts(docs, threads=threads)), mb=mb)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    load_before = load_average()
    from studio import native

    text_file()
    _, planted = texts(N)
    threads = sorted({1, min(2, native.get_threads())})
    impls = []
    for t in threads:
        impls += [Impl(DEDUP, "studio find_near_duplicates", child_argv(SCRIPT, "dedup", t), t),
                  Impl(DEDUP_ANCHOR, "studio find_near_duplicates",
                       child_argv(SCRIPT, "dedup 20k", t), t),
                  Impl(EMBED, "studio embed_texts (384-d, 3-5 grams)",
                       child_argv(SCRIPT, "embed", t), t)]
    impls += [Impl(DEDUP_ANCHOR, "datasketch MinHashLSH (estimate only)",
                   child_argv(SCRIPT, "datasketch", 1), 1, anchor=True),
              Impl(DEDUP_ANCHOR, "Python loop building the shingles (floor)",
                   child_argv(SCRIPT, "shingle floor", 1), 1, anchor=True)]
    samples = interleaved(impls, args.repeats)

    checks, rows, goals = Checks(), [], []
    planted_20k = [p for p in planted if p[1] < N_ANCHOR]
    secs = {}
    for impl in impls:
        s = median_seconds(samples[impl.key])
        secs[impl.name, impl.case, impl.threads] = s
        last = samples[impl.key][-1]
        row = {"case": impl.case, "impl": impl.name, "threads": impl.threads, "seconds": s,
               "runs": [round(x["seconds"], 3) for x in samples[impl.key]]}
        if "pairs" in last:
            found = set(map(tuple, last["pairs"]))
            truth = planted if impl.case == DEDUP else planted_20k
            row["recall"] = sum(p in found for p in truth) / len(truth)
            row["pairs"] = len(found)
        if "mb" in last:
            row["MB_per_s"] = last["mb"] / s
        rows.append(row)
    floor = secs["Python loop building the shingles (floor)", DEDUP_ANCHOR, 1]
    ds = secs["datasketch MinHashLSH (estimate only)", DEDUP_ANCHOR, 1]
    checks.require(ds >= floor, "datasketch slower than building its shingles alone",
                   f"{ds:.2f} s < {floor:.2f} s")
    for t in threads:
        pairs = [set(map(tuple, samples[i.key][-1]["pairs"])) for i in impls
                 if i.case == DEDUP and i.threads == t]
        checks.require(pairs[0] == set(map(tuple, samples[impls[0].key][-1]["pairs"])),
                       f"near-duplicate pairs identical on 1 and {t} thread(s)", "pairs differ")
    best = min(secs["studio find_near_duplicates", DEDUP, t] for t in threads)
    rec = next(r["recall"] for r in rows if r["case"] == DEDUP)
    rate = max(r["MB_per_s"] for r in rows if "MB_per_s" in r)
    goals += [goal("100k texts deduplicated in < 3 s", best, "s", best < 3.0),
              goal("recall >= 0.95 on planted near-duplicates", rec, "recall", rec >= 0.95),
              goal("embedder >= 20 MB/s", rate, "MB/s", rate >= 20)]
    anchors = {"datasketch": {"version": samples[impls[-2].key][-1].get("datasketch")}}
    print(finish("native_text", rows=rows, goals=goals, checks=checks, repeats=args.repeats,
                 load_before=load_before, anchors=anchors,
                 notes=[f"{N:,} generated texts of ~500 characters, 5 % planted near-duplicates "
                        f"(~3 % of words changed); threshold {THRESHOLD}, {NUM_PERM} permutations"],
                 columns=["case", "impl", "threads", "seconds", "MB_per_s", "recall", "pairs"]))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
