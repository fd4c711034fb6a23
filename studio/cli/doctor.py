"""``hafs-studio doctor``: is this machine ready? Qt, native module, tools, GPU, SSH, context."""

from __future__ import annotations

import os
import platform
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from studio import __version__
from studio.core.app import Studio
from studio.core.context import ContextRoot, hafs_path

__all__ = ["collect", "doctor_command"]


def _qt() -> dict[str, Any]:
    try:
        from PySide6 import QtCore
    except ImportError as exc:
        return {"ok": False, "detail": f"PySide6 cannot be imported: {exc}"}
    from studio.shell.launch import display_problem

    problem = display_problem()
    platform_name = os.environ.get("QT_QPA_PLATFORM") or ("(default)" if not problem else "none")
    import PySide6

    detail = f"Qt {QtCore.qVersion()}, PySide6 {PySide6.__version__}"
    return {
        "ok": True,
        "detail": f"{detail}; platform {platform_name}"
        + ("; no display: use --screenshot or xvfb-run" if problem else ""),
    }


def _native() -> dict[str, Any]:
    try:
        from studio import native
    except ImportError as exc:
        return {"ok": False, "detail": f"studio.native facade missing: {exc}"}
    info_fn = getattr(native, "native_info", None)
    if info_fn is None:
        return {"ok": False, "detail": "studio.native has no native_info()"}
    try:
        info = info_fn()
    except Exception as exc:
        return {"ok": False, "detail": f"{type(exc).__name__}: {exc}"}
    return {
        "ok": bool(info.get("available", True)),
        "detail": ", ".join(f"{k}={v}" for k, v in info.items() if k != "available"),
    }


def _gpu() -> dict[str, Any]:
    try:
        import pynvml
    except ImportError:
        return {"ok": False, "detail": "nvidia-ml-py is not installed (GPU telemetry off)"}
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as exc:
        return {"ok": False, "detail": f"no NVIDIA GPU or driver here ({exc})"}
    try:
        count = pynvml.nvmlDeviceGetCount()
        names = [
            pynvml.nvmlDeviceGetName(pynvml.nvmlDeviceGetHandleByIndex(i)) for i in range(count)
        ]
        driver = pynvml.nvmlSystemGetDriverVersion()
    finally:
        pynvml.nvmlShutdown()
    return {
        "ok": count > 0,
        "detail": f"{count} GPU(s): {', '.join(map(str, names))}; driver {driver}",
    }


def _deploy_backends(studio: Studio) -> dict[str, dict[str, Any]]:
    """Each Deploy backend (built-in or from a plugin) and whether it is ready here."""
    try:
        manager = studio.services.get("deploy")
    except KeyError:  # the Deploy plugin is disabled
        return {}
    names = {backend.id: backend.name for backend in manager.backends.items()}
    return {f"deploy: {names[backend_id]}": {"ok": availability.ok,
                                             "detail": availability.reason}
            for backend_id, availability in manager.availability().items()}


def _context(context: ContextRoot) -> dict[str, Any]:
    """Where the hafs data is; when hafs's config moved the root, both folders and why."""
    detail = context.describe() + ("" if context.exists else "; it does not exist")
    problems = list(context.problems)
    if problems:
        detail += "; " + "; ".join(problems)
    return {
        "ok": context.exists and not problems,
        "detail": detail,
        "path": str(context.path),
        "source": context.source,
        "hafs_hard_coded_root": str(context.hard_coded) if context.split else None,
        "registry": str(hafs_path(context, "models/registry.json")),
        "problems": problems,
    }


def collect(studio: Studio) -> dict[str, Any]:
    """Every check as data (the ``--json`` output and the table's source)."""
    context = studio.context
    checks: dict[str, Any] = {
        "studio": {
            "ok": True,
            "detail": f"hafs-studio {__version__}, Python {platform.python_version()} "
            f"on {platform.platform()}",
        },
        "context": _context(context),
        "qt": _qt(),
        "native": _native(),
        "gpu": _gpu(),
        **_deploy_backends(studio),
    }
    tools = []
    registry = studio.services.tools  # bundled manifest, the user's overrides, plugins' tools
    if registry.problems:
        checks["tools"] = {"ok": False, "detail": "; ".join(registry.problems)}
    for spec in registry.specs():
        status = registry.locate(spec.name)
        tools.append(
            {
                "name": spec.name,
                "found": status.found,
                "path": str(status.path) if status.path else None,
                "found_by": status.found_by,
                "version": status.version,
                "description": spec.description,
                "without": spec.without,
                "plugin": spec.plugin or None,  # None: the bundled manifest or user overrides
                "problems": status.problems,
            }
        )
    checks["ssh"] = next(
        (
            {"ok": t["found"], "detail": t["path"] or "ssh client not found (asyncssh is used)"}
            for t in tools
            if t["name"] == "ssh"
        ),
        {"ok": False, "detail": "not checked"},
    )
    return {"checks": checks, "tools": tools}


def doctor_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> int:
    """Check Qt, the native module, optional tools, GPU and SSH; say what works without them."""
    report = collect(ctx.obj)
    if as_json:
        typer.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
        return 0
    console = Console()
    table = Table(title="HAFS Studio doctor", title_justify="left", show_lines=False)
    table.add_column("Check")
    table.add_column("")
    table.add_column("Detail", overflow="fold")
    for name, check in report["checks"].items():
        table.add_row(name, "[green]ok[/]" if check["ok"] else "[yellow]—[/]", check["detail"])
    console.print(table)
    tools = Table(title="External tools (third_party/tools.toml)", title_justify="left")
    tools.add_column("Tool")
    tools.add_column("")
    tools.add_column("Where / what works without it", overflow="fold")
    for tool in report["tools"]:
        if tool["found"]:
            where = f"{tool['path']} ({tool['found_by']})"
            if tool["version"]:
                where += f", version {tool['version']}"
            tools.add_row(tool["name"], "[green]found[/]", where)
        else:
            tools.add_row(tool["name"], "[yellow]missing[/]", tool["without"])
    console.print(tools)
    return 0
