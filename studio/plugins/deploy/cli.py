"""``hafs-studio deploy | deployments | serve | test``: the Deploy panel for terminals.

Headless (no Qt) and built on the same :class:`DeployManager` as the panel; deploys run as
studio jobs drawn as progress bars (Ctrl+C cancels and leaves nothing behind).

Exit codes: 0 success · 1 failure (or a prompt set with failing answers) · 2 bad usage or a
backend this build does not have · 130 cancelled.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from studio.plugins.deploy.api import (
    DeployError,
    Deployment,
    DeployOptions,
    GenerationParams,
    GenerationRequest,
    deploy_manager,
)

__all__ = ["deploy_app", "deployments_app", "serve_app", "test_app"]

EXIT_FAILED, EXIT_USAGE = 1, 2
DEFAULT_TEST_PROMPT = "Write a simple NOP instruction in 65816 assembly:"  # hafs models test

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(message: str, code: int = EXIT_FAILED) -> typer.Exit:
    err.print(f"[red]error:[/] {escape(message)}")  # a message may quote [[nodes]], [hosts]
    return typer.Exit(code)


def _manager(ctx: typer.Context) -> Any:
    return deploy_manager(ctx.obj)


def _backend_id(manager: Any, backend: str) -> tuple[str, dict[str, Any]]:
    """``--backend`` as (backend id, options): ``node:NAME`` is the node backend on NAME."""
    known = manager.backends.ids()
    backend_id, _, host = backend.partition(":")
    if backend_id == "node" and host:
        return "node", {"host": host}
    if backend in known and backend != "node":
        return backend, {}
    choices = [k for k in known if k != "node"] + (["node:NAME"] if "node" in known else [])
    raise _fail(f"unknown backend {backend!r} (choose from {', '.join(choices)})", EXIT_USAGE)


def _run_job(ctx: typer.Context, title: str, fn: Any, *args: Any) -> Any:
    from studio.api import run_job

    code, job = run_job(ctx.obj, title, fn, *args, console=err)
    if code:
        raise typer.Exit(code)
    return job.result


def _setting(ctx: typer.Context, key: str) -> Any:
    return ctx.obj.settings.get("deploy", key)


Model = Annotated[str, typer.Argument(metavar="MODEL",
                                      help="Registered model id, GGUF file or model folder.")]
BackendOpt = Annotated[str | None, typer.Option(
    "--backend", "-b", help="llama.cpp, server, ollama, ct2 or node:NAME (a host of sync.toml "
    "or nodes.toml).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]

# A single command registered as a group (the CLI's plugin hook adds Typer apps): options may
# follow the argument, and no "COMMAND" shows in the usage line.
_COMMAND = {"context_settings": {"allow_interspersed_args": True}, "subcommand_metavar": "",
            "rich_markup_mode": "rich"}
deploy_app = typer.Typer(help="Deploy a model: convert/quantize as needed, then serve it.",
                         **_COMMAND)


@deploy_app.callback(invoke_without_command=True)
def deploy(  # noqa: PLR0917 - Typer maps each option to a parameter
        ctx: typer.Context, model: Model, backend: BackendOpt = None,
        quant: Annotated[str | None, typer.Option(
            "--quant", "-q", help="GGUF type, e.g. Q4_K_M (default: an existing GGUF as is, "
            "else F16).")] = None,
        name: Annotated[str | None, typer.Option("--name", "-n",
                                                 help="Name at the backend (Ollama).")] = None,
        compute_type: Annotated[str | None, typer.Option(
            "--compute-type", help="CTranslate2: int8, int8_float32, float16, float32.")] = None,
        as_json: AsJson = False) -> None:
    """Deploy MODEL on a backend (the registry records it only after success)."""
    manager = _manager(ctx)
    backend_id, extra = _backend_id(manager, backend or _setting(ctx, "default_backend"))
    options = DeployOptions(quant=quant, name=name,
                            compute_type=compute_type or _setting(ctx, "ct2_compute_type"),
                            n_ctx=_setting(ctx, "n_ctx"), n_threads=_setting(ctx, "n_threads"),
                            extra=extra)
    try:
        manager.backend(backend_id)
        deployment = _run_job(ctx, f"Deploy {model} on {backend_id}", manager.deploy, model,
                              backend_id, options)
    except DeployError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        sys.stdout.write(json.dumps(deployment.to_dict(), indent=2, default=str) + "\n")
        return
    out.print(f"Deployed [bold]{deployment.label}[/] as [bold]{deployment.id}[/]: "
              f"{deployment.endpoint}")
    if deployment.endpoint == "in-process" or backend_id in ("server", "node"):
        out.print("It runs in the studio or command that uses it and stops with it (e.g. "
                  f"`hafs-studio test {model} --backend {backend_id}` starts it again); "
                  "`hafs-studio serve` keeps a server in the foreground.")


deployments_app = typer.Typer(help="Deployments the studio made.", no_args_is_help=True)


@deployments_app.command("list")
def list_deployments(ctx: typer.Context, as_json: AsJson = False) -> None:
    """Every deployment with its status now."""
    manager = _manager(ctx)
    rows = [(d, manager.status(d)) for d in manager.deployments()]
    for problem in manager.store.problems:
        err.print(f"[yellow]warning:[/] {escape(problem)}")
    if as_json:
        data = [{**d.to_dict(), "status": s.state, "status_detail": s.detail,
                 "memory_bytes": s.memory_bytes} for d, s in rows]
        sys.stdout.write(json.dumps({"deployments": data, "total": len(data)}, indent=2,
                                    default=str) + "\n")
        return
    if not rows:
        err.print("No deployments (deploy one with `hafs-studio deploy MODEL`).")
        return
    table = Table(title=f"{len(rows)} deployment{'s' * (len(rows) != 1)}",
                  title_justify="left")
    for column in ("ID", "Model", "Backend", "Quant", "Status", "Endpoint"):
        table.add_column(column, overflow="fold")
    for deployment, status in rows:
        table.add_row(deployment.id, deployment.model_id or deployment.artifact,
                      deployment.backend, deployment.quant or "—",
                      f"{status.state}" + (f" ({status.detail})" if status.detail else ""),
                      deployment.endpoint)
    out.print(table)


@deployments_app.command("stop")
def stop(ctx: typer.Context, deployment_id: Annotated[str, typer.Argument(metavar="ID")]
         ) -> None:
    """Stop serving (unload; Ollama keeps the model installed)."""
    try:
        deployment = _manager(ctx).stop(deployment_id)
    except (KeyError, DeployError) as exc:
        raise _fail(str(exc).strip("'\"")) from None
    out.print(f"Stopped {deployment.id} ({deployment.label})")


@deployments_app.command("remove")
def remove(ctx: typer.Context, deployment_id: Annotated[str, typer.Argument(metavar="ID")],
           keep: Annotated[bool, typer.Option(
               "--keep-at-backend", help="Forget the record but keep the model at the "
               "backend (e.g. installed in Ollama).")] = False) -> None:
    """Forget a deployment and remove it from its backend (Ollama: deletes the model)."""
    try:
        deployment = _manager(ctx).remove(deployment_id, undeploy=not keep)
    except (KeyError, DeployError) as exc:
        raise _fail(str(exc).strip("'\"")) from None
    out.print(f"Removed {deployment.id} ({deployment.label})")


serve_app = typer.Typer(help="Serve a model over HTTP in the foreground.", **_COMMAND)


@serve_app.callback(invoke_without_command=True)
def serve(ctx: typer.Context, model: Model,
          port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535)] = 8080,
          host: Annotated[str, typer.Option("--host", help="Interface to listen on.")
                          ] = "127.0.0.1",
          quant: Annotated[str | None, typer.Option("--quant", "-q")] = None) -> None:
    """Serve MODEL with llama.cpp's OpenAI-compatible server until Ctrl+C."""
    from studio.plugins.deploy.pipeline import prepare_artifact
    from studio.plugins.deploy.serve import ServeError, check_port, serve_gguf

    manager = _manager(ctx)
    try:
        check_port(host, port)
        plan = manager.plan(model, "llama.cpp", quant)
        artifact = _run_job(ctx, f"Prepare {model}",
                            lambda job: prepare_artifact(manager.models, plan, job))
        err.print(f"Serving {artifact.path.name} at http://{host}:{port}/v1 (Ctrl+C stops)")
        serve_gguf(artifact.path, host, port, n_ctx=_setting(ctx, "n_ctx"),
                   n_threads=_setting(ctx, "n_threads"), alias=plan.source.model_id)
    except (DeployError, ServeError) as exc:
        raise _fail(str(exc)) from None


test_app = typer.Typer(help="Send a prompt (or a prompt set) to a model; print tokens/s.",
                       **_COMMAND)


@test_app.callback(invoke_without_command=True)
def test(  # noqa: PLR0917 - Typer maps each option to a parameter
        ctx: typer.Context, model: Model, backend: BackendOpt = None,
        prompt: Annotated[str | None, typer.Option("--prompt", help="The prompt.")] = None,
        prompts: Annotated[str | None, typer.Option(
            "--prompts", help="A prompt set file (JSON or YAML).")] = None,
        max_tokens: Annotated[int | None, typer.Option("--max-tokens", min=1)] = None,
        temperature: Annotated[float | None, typer.Option("--temperature", min=0.0)] = None,
        seed: Annotated[int | None, typer.Option("--seed", min=0)] = None,
        as_json: AsJson = False) -> None:
    """Test MODEL on a deployment (an existing one, else a temporary in-process one)."""
    from studio.plugins.deploy.probe import ProbeTarget, find_or_start

    if prompt is not None and prompts is not None:
        raise _fail("give --prompt or --prompts, not both", EXIT_USAGE)
    manager = _manager(ctx)
    backend_id = _backend_id(manager, backend)[0] if backend else None
    params = GenerationParams(
        max_tokens=max_tokens or _setting(ctx, "max_tokens"),
        temperature=_setting(ctx, "temperature") if temperature is None else temperature,
        seed=seed)
    try:
        target: ProbeTarget = find_or_start(
            manager, model, backend_id, DeployOptions(
                n_ctx=_setting(ctx, "n_ctx"), n_threads=_setting(ctx, "n_threads"),
                compute_type=_setting(ctx, "ct2_compute_type")),
            lambda title, fn, *args: _run_job(ctx, title, fn, *args))
        try:
            if prompts is not None:
                code = _test_prompt_set(ctx, manager, target.deployment, prompts, params,
                                        as_json)
            else:
                code = _test_prompt(manager, target.deployment, prompt or DEFAULT_TEST_PROMPT,
                                    params, as_json)
        finally:
            target.release()
    except DeployError as exc:
        raise _fail(str(exc)) from None
    raise typer.Exit(code)


def _test_prompt(manager: Any, deployment: Deployment, prompt: str,
                 params: GenerationParams, as_json: bool) -> int:
    request = (GenerationRequest.chat([{"role": "user", "content": prompt}])
               if deployment.template.source else GenerationRequest.text(prompt))
    stream = manager.generate(deployment, request, params)
    for piece in stream:
        if not as_json:
            sys.stdout.write(piece)
            sys.stdout.flush()
    result = stream.result
    stats = result.stats
    if as_json:
        sys.stdout.write(json.dumps({
            "model": deployment.model_id, "backend": deployment.backend,
            "deployment": deployment.id, "prompt": prompt, "response": result.text,
            "tokens_per_second": stats.tokens_per_second,
            "time_to_first_token_ms": stats.time_to_first_token_ms,
            "completion_tokens": stats.completion_tokens, "prompt_tokens": stats.prompt_tokens,
            "finish_reason": stats.finish_reason}, indent=2) + "\n")
    else:
        sys.stdout.write("\n")
        err.print(f"[dim]{escape(deployment.label)}:[/] {stats.summary()}")
    return 0


def _test_prompt_set(  # noqa: PLR0917 - one call site, in order
        ctx: typer.Context, manager: Any, deployment: Deployment, path: str,
                     params: GenerationParams, as_json: bool) -> int:
    from studio.plugins.deploy.prompt_runs import run_prompt_set
    from studio.plugins.deploy.prompt_sets import PromptSetError, load_prompt_set

    try:
        prompt_set = load_prompt_set(path)
    except PromptSetError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    run = _run_job(ctx, f"Prompt set {prompt_set.name}", run_prompt_set, manager.generate,
                   prompt_set, [deployment], params)
    manager.history.save(run)
    summary = run.summary(deployment.id)
    if as_json:
        sys.stdout.write(json.dumps({**run.to_dict(), "summary": summary}, indent=2,
                                    default=str) + "\n")
    else:
        table = Table(title=f"{prompt_set.name} on {deployment.label}", title_justify="left")
        for column in ("Prompt", "Result", "tok/s", "TTFT ms", "Tokens", "Answer"):
            table.add_column(column, overflow="fold")
        for result in run.results:
            verdict = ("error" if result.error else "—" if result.passed is None
                       else "pass" if result.passed else "FAIL: " + "; ".join(result.failures))
            stats = result.stats
            table.add_row(result.case_id, verdict,
                          f"{stats.tokens_per_second:.1f}" if stats and stats.tokens_per_second
                          else "—",
                          f"{stats.time_to_first_token_ms:.0f}"
                          if stats and stats.time_to_first_token_ms is not None else "—",
                          str(stats.completion_tokens) if stats else "—",
                          (result.error or result.output)[:200])
        out.print(table)
        out.print(f"{summary['passed']} passed, {summary['failed']} failed, "
                  f"{summary['errors']} errors, {summary['unchecked']} unchecked")
    return EXIT_FAILED if summary["failed"] or summary["errors"] else 0
