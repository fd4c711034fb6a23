"""Kernel 6 benchmark: cosine top-10 over 100k x 384 float32 vs faiss-cpu and NumPy, and int8.

Goals (issue 3): float32 top-k at least as fast as faiss IndexFlatIP with the same thread
count; the int8 path >= 2x faster than float32 with recall@10 >= 0.99. int8 is measured with
hafs's per-array scale (the file format) and with per-row scales (quantize_int8_rows, in-memory
search only), each also with float32 re-ranking of 4*k candidates.
"""

from __future__ import annotations

import numpy as np
from native_data import best_time, embeddings, machine_facts, write_result

from studio import native

N_QUERIES, K = 1000, 10


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(a) & set(b)) / K for a, b in zip(found, truth, strict=True)]))


def numpy_topk(queries: np.ndarray, rows: np.ndarray) -> np.ndarray:
    scores = queries @ rows.T
    part = np.argpartition(-scores, K, axis=1)[:, :K]
    order = np.argsort(-np.take_along_axis(scores, part, 1), axis=1, kind="stable")
    return np.take_along_axis(part, order, 1)


def main() -> None:
    facts = machine_facts()
    rows_f32 = embeddings()
    queries = rows_f32[np.random.default_rng(1).integers(0, len(rows_f32), N_QUERIES)] + 0.05
    queries = native.normalize_rows(queries.astype(np.float32))
    rows_i8 = native.quantize_int8(rows_f32)
    rows_i8_rows = native.quantize_int8_rows(rows_f32)
    results: list[dict[str, object]] = []
    qps: dict[tuple[str, int], float] = {}

    def add(impl: str, threads: int, seconds: float, rec: float | None) -> None:
        qps[(impl, threads)] = N_QUERIES / seconds
        results.append({"case": "100k x 384, top-10", "impl": impl, "threads": threads,
                        "queries_per_s": N_QUERIES / seconds, "recall_at_10": rec})
        extra = "" if rec is None else f" recall@10={rec:.4f}"
        print(f"{impl:<28} t={threads} {N_QUERIES / seconds:9.0f} q/s{extra}")

    truth, _ = native.cosine_topk(queries, rows_f32, K, normalized=True)
    try:
        import faiss
    except ImportError:  # the `bench` extra is not installed
        faiss = None
    thread_counts = sorted({1, native.get_threads()})
    for threads in thread_counts:
        t = best_time(lambda threads=threads: native.cosine_topk(
            queries, rows_f32, K, normalized=True, threads=threads), repeats=3)
        add("studio float32", threads, t, 1.0)
        t = best_time(lambda threads=threads: native.int8_topk(queries, rows_i8, K,
                                                               threads=threads), repeats=3)
        idx, _ = native.int8_topk(queries, rows_i8, K, threads=threads)
        add("studio int8", threads, t, recall(idx, truth))
        t = best_time(lambda threads=threads: native.int8_topk(
            queries, rows_i8, K, rerank=rows_f32, threads=threads), repeats=3)
        idx, _ = native.int8_topk(queries, rows_i8, K, rerank=rows_f32, threads=threads)
        add("studio int8 + f32 rerank", threads, t, recall(idx, truth))
        t = best_time(lambda threads=threads: native.int8_topk(queries, rows_i8_rows, K,
                                                               threads=threads), repeats=3)
        idx, _ = native.int8_topk(queries, rows_i8_rows, K, threads=threads)
        add("studio int8 per-row", threads, t, recall(idx, truth))
        t = best_time(lambda threads=threads: native.int8_topk(
            queries, rows_i8_rows, K, rerank=rows_f32, threads=threads), repeats=3)
        idx, _ = native.int8_topk(queries, rows_i8_rows, K, rerank=rows_f32, threads=threads)
        add("studio int8 per-row + f32 rerank", threads, t, recall(idx, truth))
        if faiss is not None:
            faiss.omp_set_num_threads(threads)
            index = faiss.IndexFlatIP(rows_f32.shape[1])
            index.add(rows_f32)
            t = best_time(lambda index=index: index.search(queries, K), repeats=3)
            add("faiss IndexFlatIP", threads, t, recall(index.search(queries, K)[1], truth))
    t = best_time(lambda: numpy_topk(queries, rows_f32), repeats=3)
    add("NumPy matmul + argpartition", 0, t, recall(numpy_topk(queries, rows_f32), truth))

    goals = []
    for threads in thread_counts:
        if faiss is not None:
            ratio = qps[("studio float32", threads)] / qps[("faiss IndexFlatIP", threads)]
            goals.append({"goal": f"float32 >= faiss IndexFlatIP ({threads} thread(s))",
                          "measured": round(ratio, 2), "unit": "x faiss", "met": ratio >= 1.0})
        for impl in ("studio int8", "studio int8 per-row", "studio int8 per-row + f32 rerank"):
            speedup = qps[(impl, threads)] / qps[("studio float32", threads)]
            goals.append({"goal": f"{impl[7:]} >= 2x float32 ({threads} thread(s))",
                          "measured": round(speedup, 2), "unit": "x float32",
                          "met": speedup >= 2.0})
    for impl in ("studio int8", "studio int8 per-row", "studio int8 per-row + f32 rerank"):
        rec = next(r["recall_at_10"] for r in results if r["impl"] == impl)
        goals.append({"goal": f"{impl[7:]} recall@10 >= 0.99", "measured": round(float(rec), 4),
                      "unit": "recall", "met": rec >= 0.99})
    print(write_result("embeddings", results, goals, facts))


if __name__ == "__main__":
    main()
