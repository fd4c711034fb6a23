"""A small HTTP server that speaks the part of Ollama's API the Deploy plugin uses.

Ollama itself cannot be installed on the test machines (no package), so the client is tested
against this server, written from Ollama's docs/api.md and docs/api/errors: blobs are stored
by sha256 and checked (400 on a digest mismatch), ``/api/create`` streams status lines as
NDJSON (errors inside the stream as ``{"error": …}`` lines), errors outside a stream are
``{"error": …}`` bodies with 400/404 statuses, and ``/api/generate`` really runs the model with
llama.cpp, streams one NDJSON object per token with chunked transfer encoding and ends with the
``done`` object carrying ``eval_count``/``eval_duration`` (nanoseconds). Only ``raw`` prompts
are generated (the plugin renders the chat template itself).

Fault switches for the failure tests: ``fail_create`` (an error line during create),
``corrupt_uploads`` (flip a byte of every uploaded blob: Ollama then answers 400 digest
mismatch), ``fail_after_tokens`` (an error line mid-generation), ``drop_after_tokens`` (the
connection is cut mid-generation, as when the server crashes).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

VERSION = "0.6.5"
GGUF_MAGIC = b"GGUF"


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _tagged(name: str) -> str:
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


class FakeOllama:
    """Start with :meth:`start`; ``url`` is where it listens (127.0.0.1, a free port)."""

    def __init__(self, blob_dir: Path) -> None:
        self.blob_dir = blob_dir
        blob_dir.mkdir(parents=True, exist_ok=True)
        self.models: dict[str, dict[str, Any]] = {}
        self.loaded: dict[str, float] = {}
        self.uploads = 0
        self.requests: list[tuple[str, str]] = []
        self.fail_create: str | None = None
        self.corrupt_uploads = False
        self.fail_after_tokens: int | None = None
        self.drop_after_tokens: int | None = None
        self.last_done: dict[str, Any] | None = None  # the final object of the last generate
        # Hold points for GUI tests: an upload waits for ``release`` before answering; a
        # generation waits for it after ``pause_after_tokens`` tokens.
        self.hold_uploads = False
        self.pause_after_tokens: int | None = None
        self.release = threading.Event()
        self.holding = threading.Event()  # set while a request waits at a hold point
        self._engines: dict[str, Any] = {}
        self._engine_lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeOllama:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        for engine in self._engines.values():
            engine.close()

    def blob_path(self, digest: str) -> Path:
        return self.blob_dir / digest.replace(":", "-")

    def engine(self, digest: str) -> Any:
        import llama_cpp

        with self._engine_lock:
            if digest not in self._engines:
                self._engines[digest] = llama_cpp.Llama(
                    model_path=str(self.blob_path(digest)), n_ctx=256, n_threads=1,
                    verbose=False)
            return self._engines[digest]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            # -- plumbing ----------------------------------------------------------------
            def _json_body(self) -> dict[str, Any] | None:
                raw = self._read_body()
                try:
                    data = json.loads(raw or b"{}")
                except ValueError:
                    self._error(400, "invalid character in request body: not JSON")
                    return None
                if not isinstance(data, dict):
                    self._error(400, "request body must be a JSON object")
                    return None
                return data

            def _read_body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    parts = []
                    while True:
                        size = int(self.rfile.readline().strip() or b"0", 16)
                        if size == 0:
                            self.rfile.readline()
                            return b"".join(parts)
                        parts.append(self.rfile.read(size))
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _send(self, status: int, payload: Any = None) -> None:
                body = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _error(self, status: int, message: str) -> None:
                self._send(status, {"error": message})

            def _start_stream(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()

            def _line(self, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode() + b"\n"
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def _end_stream(self) -> None:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

            def _model(self, name: str) -> dict[str, Any] | None:
                return server.models.get(_tagged(name))

            # -- routes ------------------------------------------------------------------
            def do_GET(self) -> None:
                server.requests.append(("GET", self.path))
                if self.path == "/api/version":
                    self._send(200, {"version": VERSION})
                elif self.path == "/api/tags":
                    self._send(200, {"models": [self._listing(n, m)
                                                for n, m in server.models.items()]})
                elif self.path == "/api/ps":
                    self._send(200, {"models": [
                        {**self._listing(n, server.models[n]), "size_vram": 0,
                         "expires_at": datetime.fromtimestamp(until, UTC).isoformat()}
                        for n, until in server.loaded.items() if n in server.models]})
                else:
                    self._error(404, "404 page not found")

            def do_HEAD(self) -> None:
                server.requests.append(("HEAD", self.path))
                match = re.fullmatch(r"/api/blobs/(sha256:[0-9a-f]{64})", self.path)
                if match is None:
                    self._send(400)
                elif server.blob_path(match.group(1)).is_file():
                    self._send(200)
                else:
                    self._send(404)

            def do_POST(self) -> None:
                server.requests.append(("POST", self.path))
                if self.path.startswith("/api/blobs/"):
                    return self._push_blob()
                data = self._json_body()
                if data is None:
                    return None
                routes = {"/api/create": self._create, "/api/show": self._show,
                          "/api/generate": self._generate}
                route = routes.get(self.path)
                if route is None:
                    return self._error(404, "404 page not found")
                return route(data)

            def do_DELETE(self) -> None:
                server.requests.append(("DELETE", self.path))
                data = self._json_body()
                if data is None:
                    return
                name = _tagged(str(data.get("model") or data.get("name") or ""))
                if name not in server.models:
                    self._error(404, f"model '{name}' not found")
                    return
                del server.models[name]
                server.loaded.pop(name, None)
                self._send(200)

            # -- endpoints ---------------------------------------------------------------
            def _push_blob(self) -> None:
                match = re.fullmatch(r"/api/blobs/sha256:([0-9a-f]{64})", self.path)
                if match is None:
                    self._read_body()
                    self._error(400, "invalid digest format")
                    return
                data = self._read_body()
                if server.hold_uploads:
                    server.holding.set()
                    server.release.wait(60)
                if server.corrupt_uploads and data:
                    data = bytes([data[0] ^ 0xFF]) + data[1:]
                got = hashlib.sha256(data).hexdigest()
                if got != match.group(1):
                    self._error(400, f'digest mismatch, expected "sha256:{match.group(1)}", '
                                f'got "sha256:{got}"')
                    return
                server.blob_path(f"sha256:{got}").write_bytes(data)
                server.uploads += 1
                self._send(201)

            def _create(self, data: dict[str, Any]) -> None:
                name = str(data.get("model") or data.get("name") or "")
                if not name:
                    self._error(400, "missing model field")
                    return
                files = data.get("files") or {}
                if not files and not data.get("from"):
                    self._error(400, "neither 'from' or 'files' was specified")
                    return
                self._start_stream()
                self._line({"status": "parsing GGUF"})
                digest = None
                for _file, file_digest in files.items():
                    blob = server.blob_path(file_digest)
                    if not blob.is_file():
                        self._line({"error": f"blob {file_digest} not found; push it with "
                                             "/api/blobs first"})
                        return self._end_stream()
                    if blob.read_bytes()[:4] != GGUF_MAGIC:
                        self._line({"error": "invalid file magic"})
                        return self._end_stream()
                    digest = file_digest
                    self._line({"status": f"using existing layer {file_digest}"})
                if server.fail_create:
                    self._line({"error": server.fail_create})
                    return self._end_stream()
                for key in ("template", "parameters", "system"):
                    if data.get(key):
                        layer = hashlib.sha256(json.dumps(data[key]).encode()).hexdigest()
                        self._line({"status": f"creating new layer sha256:{layer}"})
                self._line({"status": "writing manifest"})
                server.models[_tagged(name)] = {
                    "digest": digest, "template": data.get("template", "{{ .Prompt }}"),
                    "parameters": data.get("parameters") or {}, "system": data.get("system"),
                    "modified_at": _now(),
                    "size": server.blob_path(digest).stat().st_size if digest else 0}
                self._line({"status": "success"})
                return self._end_stream()

            def _listing(self, name: str, model: dict[str, Any]) -> dict[str, Any]:
                return {"name": name, "model": name, "modified_at": model["modified_at"],
                        "size": model["size"], "digest": (model["digest"] or "")[7:],
                        "details": {"format": "gguf", "family": "llama",
                                    "families": ["llama"], "parameter_size": "?",
                                    "quantization_level": "?"}}

            def _show(self, data: dict[str, Any]) -> None:
                name = _tagged(str(data.get("model") or data.get("name") or ""))
                model = server.models.get(name)
                if model is None:
                    self._error(404, f"model '{name}' not found")
                    return
                params = "\n".join(f'stop "{s}"' for s in model["parameters"].get("stop", []))
                self._send(200, {
                    "modelfile": f"FROM {server.blob_path(model['digest'])}\n"
                                 f'TEMPLATE """{model["template"]}"""\n',
                    "parameters": params, "template": model["template"],
                    "details": self._listing(name, model)["details"],
                    "model_info": {"general.architecture": "llama"}})

            def _generate(self, data: dict[str, Any]) -> None:
                name = _tagged(str(data.get("model") or ""))
                model = server.models.get(name)
                if model is None:
                    self._error(404, f"model '{name}' not found, try pulling it first")
                    return
                prompt = data.get("prompt") or ""
                if not prompt:
                    if data.get("keep_alive") in (0, "0", "0s"):
                        server.loaded.pop(name, None)
                        reason = "unload"
                    else:
                        server.loaded[name] = time.time() + 300
                        reason = "load"
                    self._send(200, {"model": name, "created_at": _now(), "response": "",
                                     "done": True, "done_reason": reason})
                    return
                if not data.get("raw") and model["template"] != "{{ .Prompt }}":
                    self._error(400, "this test server only generates raw prompts")
                    return
                options = data.get("options") or {}
                llm = server.engine(model["digest"])
                server.loaded[name] = time.time() + 300
                self._stream_generation(name, llm, prompt, options)

            def _stream_generation(self, name: str, llm: Any, prompt: str,
                                   options: dict[str, Any]) -> None:
                import llama_cpp

                start = time.perf_counter_ns()
                tokens = llm.tokenize(prompt.encode(), add_bos=True, special=True)
                limit = int(options.get("num_predict", 128))
                stops = [s for s in options.get("stop", []) if s]
                if options.get("seed") is not None:
                    llm.set_seed(int(options["seed"]))
                self._start_stream()
                eval_start, prompt_ns, text, count, reason = None, 0, "", 0, "length"
                with server._engine_lock:
                    for token in llm.generate(
                            tokens, top_k=int(options.get("top_k", 40)),
                            top_p=float(options.get("top_p", 0.9)), min_p=0.0,
                            temp=float(options.get("temperature", 0.8))):
                        if eval_start is None:
                            prompt_ns, eval_start = time.perf_counter_ns() - start, \
                                time.perf_counter_ns()
                        if llama_cpp.llama_vocab_is_eog(llm._model.vocab, token):
                            reason = "stop"
                            break
                        piece = llm.detokenize([token]).decode("utf-8", "replace")
                        count += 1
                        if server.drop_after_tokens is not None and \
                                count > server.drop_after_tokens:
                            self.wfile.flush()
                            self.close_connection = True
                            self.connection.shutdown(2)  # the server "crashes"
                            return
                        if server.fail_after_tokens is not None and \
                                count > server.fail_after_tokens:
                            self._line({"error": "an error was encountered while running "
                                                 "the model"})
                            return self._end_stream()
                        if count - 1 == server.pause_after_tokens:
                            server.holding.set()
                            server.release.wait(60)
                        text += piece
                        if any(s in text for s in stops):
                            reason = "stop"
                            break
                        self._line({"model": name, "created_at": _now(), "response": piece,
                                    "done": False})
                        if count >= limit:
                            break
                eval_ns = time.perf_counter_ns() - (eval_start or start)
                server.last_done = {
                    "model": name, "created_at": _now(), "response": "", "done": True,
                    "done_reason": reason, "context": [],
                    "total_duration": time.perf_counter_ns() - start, "load_duration": 0,
                    "prompt_eval_count": len(tokens), "prompt_eval_duration": prompt_ns,
                    "eval_count": count, "eval_duration": eval_ns}
                self._line(server.last_done)
                return self._end_stream()

        return Handler
