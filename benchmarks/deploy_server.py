"""The managed llama.cpp server through the Deploy backend vs direct llama-cpp-python (goal
≤ 5 % overhead).

Same F32 GGUF, same rendered chat prompt, greedy decoding, one thread, up to 128 tokens.
Variants alternate (server, direct, server, direct …), each in a fresh process:

* server: ``LlamaServerBackend.deploy`` (``python -m llama_cpp.server`` as a managed process on
  127.0.0.1, ready when ``/v1/models`` answers), one short untimed request (the server's first
  request pays one-off set-up, as the direct child's warm-up decode does), then one streamed
  ``generate(chat request)``: the prompt rendered by the studio, POSTed to ``/v1/completions``,
  server-sent events parsed per token. Timed on the client: TTFT from before the request to
  the first token; tokens/s = tokens after the first / time from the first to the last.
* bare server: the same ``python -m llama_cpp.server`` started with ``subprocess`` and read
  with a plain httpx loop (what llama-cpp-python's server costs without the studio).
* direct: ``benchmarks/deploy_inprocess.py``'s anchor, llama-cpp-python in its own process
  (``Llama.generate`` + ``detokenize`` per token, the same definitions).

The difference is what the server path adds: HTTP, JSON per token, the server's own Python
loop (llama-cpp-python's ``create_completion``), and a second process on a 2-core machine.

    python benchmarks/deploy_server.py [--repeats 5] [--server-binary PATH/llama-server]

With ``--server-binary`` it also measures llama.cpp's own C++ ``llama-server`` (managed by the
studio, and bare), built from the llama.cpp that llama-cpp-python vendors (same version).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import print_table, write_results
from benchmarks._deploy import (
    MAX_TOKENS,
    PROMPT,
    THREADS,
    ensure_gguf,
    load_average,
    run_child,
    summarize,
)
from benchmarks.deploy_inprocess import DIRECT

SERVER = r"""
import json, sys, tempfile, time
from pathlib import Path
from studio.core.jobs import JobContext
from studio.core.process import ProcessManager
from studio.plugins.deploy.backend import (DeployArtifact, DeployOptions, GenerationParams,
                                           GenerationRequest)
from studio.plugins.deploy.backends.llama_server import LlamaServerBackend
from studio.plugins.deploy.store import Deployment
from studio.plugins.deploy.templates import template_from_gguf
from studio.plugins.models.api import read_gguf_info
path, threads, max_tokens = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
messages, binary = json.loads(sys.argv[4]), sys.argv[5]
template = template_from_gguf(read_gguf_info(path))
with tempfile.TemporaryDirectory() as state:
    processes = ProcessManager(Path(state))
    backend = LlamaServerBackend(processes, lambda: Path(binary) if binary else None)
    started = time.perf_counter()
    result = backend.deploy(DeployArtifact("gguf", path, "bench", template),
                            DeployOptions(n_ctx=256, n_threads=threads), "bench", JobContext())
    ready_s = time.perf_counter() - started
    deployment = Deployment("bench", "server", "bench", str(path), "gguf", result["endpoint"],
                            template=template, options=result["options"], data=result["data"])
    deployment.template.compile()
    backend.generate(deployment, GenerationRequest(prompt="warm"),
                     GenerationParams(max_tokens=2, temperature=0.0)).run()
    wall = time.perf_counter()
    stats = backend.generate(deployment, GenerationRequest.chat(messages),
                             GenerationParams(max_tokens=max_tokens, temperature=0.0)
                             ).run().stats
    wall = time.perf_counter() - wall
    processes.shutdown()
print(json.dumps({"tokens_per_second": stats.tokens_per_second, "wall_s": wall,
                  "ready_s": ready_s,
                  "time_to_first_token_ms": stats.time_to_first_token_ms,
                  "completion_tokens": stats.completion_tokens,
                  "prompt_tokens": stats.prompt_tokens}))
"""

# The same server started by hand and read with a bare httpx loop: what llama-cpp-python's
# server costs by itself, apart from the studio's process management and stream parsing.
BARE = r"""
import json, socket, subprocess, sys, time
import httpx
from studio.plugins.deploy.templates import template_from_gguf
from studio.plugins.models.api import read_gguf_info
path, threads, max_tokens = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
messages, binary = json.loads(sys.argv[4]), sys.argv[5]
prompt = template_from_gguf(read_gguf_info(path)).render(messages)
with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
if binary:
    argv = [binary, "-m", path, "--host", "127.0.0.1", "--port", str(port), "-c", "256", "-t",
            str(threads)]
else:
    argv = [sys.executable, "-m", "llama_cpp.server", "--model", path, "--host", "127.0.0.1",
            "--port", str(port), "--n_ctx", "256", "--n_threads", str(threads)]
server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
url = f"http://127.0.0.1:{port}/v1"
try:
    while True:
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    body = {"prompt": "warm", "max_tokens": 2, "temperature": 0.0, "repeat_penalty": 1.0}
    httpx.post(f"{url}/completions", json=body, timeout=600)
    body = {"prompt": prompt, "max_tokens": max_tokens, "temperature": 0.0, "top_k": 40,
            "top_p": 0.95, "repeat_penalty": 1.0, "stream": True}
    start = time.perf_counter()
    times = []
    with httpx.stream("POST", f"{url}/completions", json=body, timeout=600) as response:
        for line in response.iter_lines():
            if not line.startswith("data:") or line.endswith("[DONE]"):
                continue
            choice = json.loads(line[5:])["choices"][0]
            if choice.get("text") or not choice.get("finish_reason"):
                times.append(time.perf_counter())
    wall = time.perf_counter() - start
finally:
    server.terminate()
    server.wait()
n = len(times)
print(json.dumps({"tokens_per_second": (n - 1) / (times[-1] - times[0]), "wall_s": wall,
                  "time_to_first_token_ms": (times[0] - start) * 1000,
                  "completion_tokens": n}))
"""


# variant -> (child script, server binary or "" for python -m llama_cpp.server, table label)
VARIANTS = {
    "server": (SERVER, "", "managed llama_cpp.server"),
    "bare_server": (BARE, "", "bare llama_cpp.server + httpx"),
    "direct": (DIRECT, "", "direct llama-cpp-python"),
}


def _overhead(rate: dict, ttft: dict, server: str, bare: str) -> dict:
    return {"tokens_per_second_pct": (rate["direct"] - rate[server]) / rate["direct"] * 100,
            "time_to_first_token_pct": (ttft[server] - ttft["direct"]) / ttft["direct"] * 100,
            "time_to_first_token_ms": ttft[server] - ttft["direct"],
            "vs_bare_tokens_per_second_pct": (rate[bare] - rate[server]) / rate[bare] * 100}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--server-binary", default="",
                        help="also measure a llama-server binary (managed and bare), built from "
                             "the llama.cpp that llama-cpp-python vendors")
    args = parser.parse_args()

    variants = dict(VARIANTS)
    if args.server_binary:
        binary = str(Path(args.server_binary).resolve())
        variants["binary_server"] = (SERVER, binary, "managed llama-server binary")
        variants["bare_binary_server"] = (BARE, binary, "bare llama-server + httpx")
    gguf = ensure_gguf("f32")
    child_args = (str(gguf), str(THREADS), str(MAX_TOKENS), json.dumps(PROMPT))
    run_child(SERVER, *child_args, "")  # uncounted warm-up: page cache, bytecode
    runs: dict[str, list] = {name: [] for name in variants}
    load_before = load_average()
    for _ in range(args.repeats):
        for name, (script, binary, _label) in variants.items():
            runs[name].append(run_child(script, *child_args, binary))
    result = {name: summarize(items) for name, items in runs.items()}
    rate = {k: result[k]["median_tokens_per_second"] for k in result}
    ttft = {k: result[k]["median_time_to_first_token_ms"] for k in result}
    overhead = _overhead(rate, ttft, "server", "bare_server")
    if args.server_binary:
        result["binary_overhead"] = _overhead(rate, ttft, "binary_server", "bare_binary_server")
    path = write_results("deploy_server", {
        "model": {"file": gguf.name, "size_bytes": gguf.stat().st_size, "threads": THREADS,
                  "max_tokens": MAX_TOKENS, "sampling": "greedy"},
        "repeats": args.repeats,
        "order": "interleaved, one of each variant per round: " + ", ".join(variants),
        "load_average_before_after": [load_before, load_average()],
        **result, "overhead": overhead,
        "goal": "the managed server within 5 % of direct llama-cpp-python (tokens/s, TTFT)"})
    print_table(("variant", "tokens/s (median)", "TTFT ms (median)", "tokens"),
                [(label, rate[name], ttft[name], result[name]["completion_tokens"])
                 for name, (_script, _binary, label) in variants.items()],
                f"{gguf.name}, {THREADS} thread(s), {args.repeats} fresh processes each")
    for name, numbers in (("llama_cpp.server", overhead),
                          ("llama-server", result.get("binary_overhead"))):
        if numbers:
            print(f"{name} overhead vs direct: tokens/s {numbers['tokens_per_second_pct']:+.1f} %,"
                  f" TTFT {numbers['time_to_first_token_pct']:+.1f} % "
                  f"({numbers['time_to_first_token_ms']:+.1f} ms); the studio's share (vs the "
                  f"bare server): tokens/s {numbers['vs_bare_tokens_per_second_pct']:+.1f} %")
    print(f"→ {path}")


if __name__ == "__main__":
    main()
