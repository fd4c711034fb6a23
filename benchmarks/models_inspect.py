"""GGUF inspector: open time of a ~1 GB GGUF with a Qwen-sized vocabulary (151k tokens+merges).

Compared with the gguf package's GGUFReader on the same file (the inspector's reason to exist).

    python benchmarks/models_inspect.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import gguf

from benchmarks._common import median, print_table, write_results
from studio.plugins.models.gguf_info import read_gguf_info
from studio.plugins.models.hf_to_gguf.fast_writer import FastGGUFWriter

DATA = Path(os.environ.get("HAFS_BENCH_DATA", "/tmp/hafs-bench-data")) / "models-inspect"
N_VOCAB, N_EMBD, N_LAYER = 151_936, 1536, 28


def make_gguf(path: Path) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = FastGGUFWriter(path, "qwen2")
    writer.add_block_count(N_LAYER)
    writer.add_embedding_length(N_EMBD)
    writer.add_context_length(32768)
    writer.add_head_count(12)
    writer.add_head_count_kv(2)
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list([f"tok{i}" for i in range(N_VOCAB)])
    writer.add_token_types([1] * N_VOCAB)
    writer.add_token_merges([f"t ok{i}" for i in range(N_VOCAB - 256)])
    shapes = {"token_embd.weight": (N_VOCAB, N_EMBD)}
    for i in range(N_LAYER):
        shapes |= {f"blk.{i}.attn_q.weight": (N_EMBD, N_EMBD),
                   f"blk.{i}.ffn_up.weight": (8960, N_EMBD),
                   f"blk.{i}.attn_norm.weight": (N_EMBD,)}
    for name, shape in shapes.items():
        writer.add_tensor_info(name, shape, np.dtype(np.float16), int(np.prod(shape)) * 2)
    writer.write_header_to_file(path)
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    fout = writer.fout[0]
    writer.write_padding(fout, fout.tell())
    for shape in shapes.values():
        nbytes = int(np.prod(shape)) * 2
        fout.write(bytes(nbytes))
        writer.write_padding(fout, nbytes)
    writer.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    path = DATA / "qwen-like-1gb.gguf"
    make_gguf(path)
    ours = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        info = read_gguf_info(path)
        ours.append(time.perf_counter() - start)
    start = time.perf_counter()
    gguf.GGUFReader(path)
    theirs = time.perf_counter() - start
    rows = [["studio inspector (median)", median(ours) * 1000],
            ["gguf.GGUFReader (1 run)", theirs * 1000]]
    print_table(["reader", "ms"], rows, title=f"open {path.stat().st_size / 1e9:.2f} GB GGUF, "
                f"{len(info.tensors)} tensors, {N_VOCAB} tokens")
    result = write_results("models_inspect", {
        "file_gb": path.stat().st_size / 1e9, "tensors": len(info.tensors), "tokens": N_VOCAB,
        "inspector_open_ms": median(ours) * 1000, "inspector_runs_ms": [t * 1000 for t in ours],
        "gguf_reader_ms": theirs * 1000})
    print(f"\nresults: {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
