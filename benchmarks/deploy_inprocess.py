"""In-process llama.cpp through the Deploy backend vs direct llama-cpp-python (goal ≤ 5 %).

Same F32 GGUF, same rendered chat prompt, greedy decoding, the same number of threads, up to
128 tokens (both stop at the same end-of-generation token: same weights, same greedy path).
Each measured run is a fresh process: load, warm up (one short decode, as the backend does
at load and llama-server does at start), then one generation. Variants alternate
(ours, direct, ours, direct …).

* ours: ``LlamaCppBackend.deploy`` then ``generate(chat request)``: the studio's template
  rendering, tokenization, sampling loop, incremental UTF-8 decoding, stop-string check,
  cancellation check and timer per token.
* direct: ``llama_cpp.Llama`` + ``tokenize`` + ``generate`` + ``detokenize`` per token, timed
  with the same definitions (TTFT from before tokenization to the first token; tokens/s =
  tokens after the first / time from the first to the last).

Besides the wall-clock figures, each child reports the CPU time of the generation (prompt and
decode, one thread): on a shared machine the wall clock moves with other processes' load, the
CPU time far less, so it shows the backend's own overhead most reliably.

    python benchmarks/deploy_inprocess.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import median, print_table, write_results
from benchmarks._deploy import (
    MAX_TOKENS,
    PROMPT,
    THREADS,
    ensure_gguf,
    load_average,
    run_child,
    summarize,
)

# Both children time every call into llama.cpp (tokenize, each generate step, detokenize), so
# the time spent outside it, the Python each variant runs per token, is measured in the same
# run as the total; contention slows llama.cpp's matrix work far more than this bookkeeping.
PROBE = r"""
import time
import llama_cpp
IN_LLAMA = [0.0]
FIRST_STEP = []  # seconds of the first generate step: the prompt's evaluation
def _timed(method):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            IN_LLAMA[0] += time.perf_counter() - start
    return wrapper
def _timed_generate(method):
    def wrapper(*args, **kwargs):
        steps = method(*args, **kwargs)
        while True:
            start = time.perf_counter()
            try:
                token = next(steps)
            except StopIteration:
                return
            finally:
                IN_LLAMA[0] += time.perf_counter() - start
                if not FIRST_STEP:
                    FIRST_STEP.append(time.perf_counter() - start)
            yield token
    return wrapper
llama_cpp.Llama.tokenize = _timed(llama_cpp.Llama.tokenize)
llama_cpp.Llama.detokenize = _timed(llama_cpp.Llama.detokenize)
llama_cpp.Llama.generate = _timed_generate(llama_cpp.Llama.generate)
"""

OURS = PROBE + r"""
import json, sys
from pathlib import Path
from studio.core.jobs import JobContext
from studio.plugins.deploy.backend import (DeployArtifact, DeployOptions, GenerationParams,
                                           GenerationRequest)
from studio.plugins.deploy.backends.llama_inproc import LlamaCppBackend
from studio.plugins.deploy.store import Deployment
from studio.plugins.deploy.templates import template_from_gguf
from studio.plugins.models.api import read_gguf_info
path, threads, max_tokens = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
messages = json.loads(sys.argv[4])
template = template_from_gguf(read_gguf_info(path))
backend = LlamaCppBackend()
result = backend.deploy(DeployArtifact("gguf", path, None, template),
                        DeployOptions(n_ctx=256, n_threads=threads), "bench", JobContext())
deployment = Deployment("bench", "llama.cpp", None, str(path), "gguf", "in-process",
                        template=template, options=result["options"])
deployment.template.compile()  # the direct child renders its prompt before its clock too
IN_LLAMA[0] = 0.0
cpu, wall = time.process_time(), time.perf_counter()
stats = backend.generate(deployment, GenerationRequest.chat(messages),
                         GenerationParams(max_tokens=max_tokens, temperature=0.0)).run().stats
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
print(json.dumps({"tokens_per_second": stats.tokens_per_second, "cpu_s": cpu,
                  "outside_llama_ms": (wall - IN_LLAMA[0]) * 1000, "wall_s": wall,
                  "prompt_eval_ms": FIRST_STEP[0] * 1000,
                  "time_to_first_token_ms": stats.time_to_first_token_ms,
                  "completion_tokens": stats.completion_tokens,
                  "prompt_tokens": stats.prompt_tokens}))
"""

DIRECT = PROBE + r"""
import json, sys, time
import llama_cpp
from studio.plugins.deploy.templates import template_from_gguf
from studio.plugins.models.api import read_gguf_info
path, threads, max_tokens = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
messages = json.loads(sys.argv[4])
prompt = template_from_gguf(read_gguf_info(path)).render(messages)  # the same prompt text
llm = llama_cpp.Llama(model_path=path, n_ctx=256, n_threads=threads, verbose=False)
llm.eval(llm.tokenize(b"warm", add_bos=True)[:2])
llm.reset()
IN_LLAMA[0] = 0.0
cpu = time.process_time()
start = time.perf_counter()
tokens = llm.tokenize(prompt.encode(), add_bos=False, special=True)
times, pieces = [], []
vocab = llm._model.vocab
for token in llm.generate(tokens, top_k=40, top_p=0.95, min_p=0.0, temp=0.0):
    if llama_cpp.llama_vocab_is_eog(vocab, token):
        break
    pieces.append(llm.detokenize([token]))
    times.append(time.perf_counter())
    if len(times) >= max_tokens:
        break
n = len(times)
cpu, wall = time.process_time() - cpu, time.perf_counter() - start
print(json.dumps({"tokens_per_second": (n - 1) / (times[-1] - times[0]), "cpu_s": cpu,
                  "outside_llama_ms": (wall - IN_LLAMA[0]) * 1000, "wall_s": wall,
                  "prompt_eval_ms": FIRST_STEP[0] * 1000,
                  "time_to_first_token_ms": (times[0] - start) * 1000,
                  "completion_tokens": n, "prompt_tokens": len(tokens)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    import json

    gguf = ensure_gguf("f32")
    child_args = (str(gguf), str(THREADS), str(MAX_TOKENS), json.dumps(PROMPT))
    run_child(OURS, *child_args)  # uncounted warm-up: page cache, bytecode
    ours, direct = [], []
    load_before = load_average()
    for _ in range(args.repeats):
        ours.append(run_child(OURS, *child_args))
        direct.append(run_child(DIRECT, *child_args))
    result = {"ours": summarize(ours), "direct": summarize(direct)}
    rate_ours = result["ours"]["median_tokens_per_second"]
    rate_direct = result["direct"]["median_tokens_per_second"]
    ttft_ours = result["ours"]["median_time_to_first_token_ms"]
    ttft_direct = result["direct"]["median_time_to_first_token_ms"]
    cpu_ours = result["ours"]["median_cpu_s"]
    cpu_direct = result["direct"]["median_cpu_s"]
    overhead = {"tokens_per_second_pct": (rate_direct - rate_ours) / rate_direct * 100,
                "time_to_first_token_pct": (ttft_ours - ttft_direct) / ttft_direct * 100,
                "cpu_time_pct": (cpu_ours - cpu_direct) / cpu_direct * 100,
                "outside_llama_ms": {k: median([r["outside_llama_ms"] for r in result[k]["runs"]])
                                     for k in ("ours", "direct")},
                "outside_llama_pct_of_generation": {
                    k: median([r["outside_llama_ms"] / 10 / r["wall_s"]
                               for r in result[k]["runs"]]) for k in ("ours", "direct")}}
    path = write_results("deploy_inprocess", {
        "model": {"file": gguf.name, "size_bytes": gguf.stat().st_size, "threads": THREADS,
                  "max_tokens": MAX_TOKENS, "sampling": "greedy"},
        "repeats": args.repeats, "order": "interleaved: ours, direct, ours, direct …",
        "load_average_before_after": [load_before, load_average()],
        **result, "overhead": overhead,
        "goal": "ours within 5 % of direct llama-cpp-python (tokens/s and TTFT)"})
    print_table(("variant", "tokens/s (median)", "TTFT ms (median)", "CPU s (median)",
                 "tokens"),
                [("ours (Deploy backend)", rate_ours, ttft_ours, cpu_ours,
                  result["ours"]["completion_tokens"]),
                 ("direct llama-cpp-python", rate_direct, ttft_direct, cpu_direct,
                  result["direct"]["completion_tokens"])],
                f"{gguf.name}, {THREADS} threads, {args.repeats} fresh processes each")
    print(f"overhead: tokens/s {overhead['tokens_per_second_pct']:+.1f} %, "
          f"TTFT {overhead['time_to_first_token_pct']:+.1f} %, "
          f"CPU time {overhead['cpu_time_pct']:+.1f} %  →  {path}")
    outside = overhead["outside_llama_ms"]
    print(f"time outside llama.cpp per generation: ours {outside['ours']:.1f} ms, direct "
          f"{outside['direct']:.1f} ms ({overhead['outside_llama_pct_of_generation']['ours']:.2f}"
          f" % vs {overhead['outside_llama_pct_of_generation']['direct']:.2f} % of the time)")


if __name__ == "__main__":
    main()
