"""Kernels 7 and 8 benchmark: near-duplicates of 100k texts vs datasketch, and the embedder.

Goals (issue 3): 100k short texts (~500 chars) deduplicated in < 3 s with recall >= 0.95 on
planted near-duplicates above the threshold (datasketch MinHashLSH compared in the same run);
hashed n-gram embedder >= 20 MB/s of text.
"""

from __future__ import annotations

import time

from native_data import best_time, machine_facts, texts, write_result

from studio import native

THRESHOLD, NUM_PERM = 0.8, 128


def planted_recall(pairs: set[tuple[int, int]], planted: list[tuple[int, int]]) -> float:
    return sum(p in pairs for p in planted) / len(planted)


def datasketch_pairs(docs: list[str]) -> tuple[set[tuple[int, int]], float]:
    from datasketch import MinHash, MinHashLSH

    start = time.perf_counter()
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    hashes = []
    for i, doc in enumerate(docs):
        m = MinHash(num_perm=NUM_PERM)
        m.update_batch([doc[j : j + 5].encode() for j in range(len(doc) - 4)])
        lsh.insert(i, m)
        hashes.append(m)
    found = set()
    for i, m in enumerate(hashes):
        for j in lsh.query(m):
            if j != i:
                found.add((min(i, j), max(i, j)))
    return found, time.perf_counter() - start


def main() -> None:
    facts = machine_facts()
    docs, planted = texts(100_000)
    mb = sum(len(d.encode()) for d in docs) / 1e6
    rows: list[dict[str, object]] = []
    goals: list[dict[str, object]] = []

    def add(case: str, impl: str, threads: int, seconds: float, **extra: object) -> None:
        rows.append({"case": case, "impl": impl, "threads": threads, "seconds": seconds, **extra})
        print(f"{case:<24} {impl:<34} t={threads} {seconds:7.2f} s {extra}")

    case = "near-duplicates 100k"
    best = float("inf")
    for threads in sorted({1, native.get_threads()}):
        t = best_time(lambda threads=threads: native.find_near_duplicates(
            docs, threshold=THRESHOLD, num_perm=NUM_PERM, threads=threads), repeats=2)
        result = native.find_near_duplicates(docs, threshold=THRESHOLD, num_perm=NUM_PERM,
                                             threads=threads)
        rec = planted_recall(set(map(tuple, result.pairs.tolist())), planted)
        add(case, "studio find_near_duplicates", threads, t, recall=rec,
            pairs=len(result.pairs), candidates=result.candidates)
        best = min(best, t)
    try:
        found, t_ds = datasketch_pairs(docs)
        add(case, "datasketch MinHashLSH (estimate only)", 1, t_ds,
            recall=planted_recall(found, planted), pairs=len(found))
    except ImportError:
        print("datasketch not installed (pip install -e .[bench]): anchor skipped")
    goals.append({"goal": "100k texts deduplicated in < 3 s", "measured": round(best, 2),
                  "unit": "s", "met": best < 3.0})
    goals.append({"goal": "recall >= 0.95 on planted near-duplicates", "measured": rec,
                  "unit": "recall", "met": rec >= 0.95})

    case = "embed 100k texts"
    best_rate = 0.0
    for threads in sorted({1, native.get_threads()}):
        t = best_time(lambda threads=threads: native.embed_texts(docs, threads=threads), repeats=3)
        add(case, "studio embed_texts (384-d, 3-5 grams)", threads, t, MB_per_s=mb / t)
        best_rate = max(best_rate, mb / t)
    goals.append({"goal": "embedder >= 20 MB/s", "measured": round(best_rate, 1), "unit": "MB/s",
                  "met": best_rate >= 20})
    print(write_result("text", rows, goals, facts))


if __name__ == "__main__":
    main()
