"""Plugin discovery + load + activation: the example plugin and 100 generated dummy plugins.

Everything is installed for real: the example with ``pip install --target``, and 100 dummy
distributions written to a site folder as ``<name>.dist-info`` (METADATA + entry_points.txt)
next to their modules, each module registering one command and one (lazy) view. The studio
finds them through ``importlib.metadata`` entry points like any user install.

Each measurement is a fresh ``python`` process (cold imports of the plugin modules) that runs
the real ``Studio.start()`` with its phases timed by wrapping the plugin manager's
``discover`` and ``load_all``: activation is the rest of ``start()`` (every
``studio_register_*`` hook, keybindings, ``studio_startup``). No Qt is involved: views are
lazy, so a plugin's widgets cost nothing until shown.

    python benchmarks/plugin_discovery.py [--repeats 7] [--plugins 100]

Goal: example + 100 dummies discovered, loaded and activated in < 150 ms in total.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, child_environment, median, print_table, write_results

GOAL_MS = 150.0
EXAMPLE = REPO / "examples" / "plugins" / "hello_studio"

DUMMY_MODULE = '''"""Generated benchmark plugin {index}: one command and one lazy view."""

from studio import hookimpl
from studio.core.contributions import CommandSpec, ViewSpec


def _run():
    return {index}


def _view(context):
    raise AssertionError("views are lazy: never built in this benchmark")


@hookimpl
def studio_register_commands(register):
    register(CommandSpec("{name}.run", "Dummy {index}: run", _run, category="Dummy"))


@hookimpl
def studio_register_views(register):
    register(ViewSpec("{name}.view", "Dummy {index}", _view, area="right"))
'''


# -- installing the plugins ------------------------------------------------------------------
def install_example(site: Path, scratch: Path) -> None:
    """pip-install examples/plugins/hello_studio into ``site`` (offline, no build isolation)."""
    source = scratch / "hello-src"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__", "tests"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--no-build-isolation", "--target", str(site), str(source)],
        check=True, capture_output=True, text=True,
    )


def install_dummies(site: Path, count: int) -> None:
    """``count`` one-module distributions, each with a hafs_studio.plugins entry point."""
    for index in range(count):
        name = f"bench_dummy_{index:03d}"
        (site / f"{name}.py").write_text(DUMMY_MODULE.format(index=index, name=name))
        dist_info = site / f"hafs_studio_{name}-1.0.dist-info"
        dist_info.mkdir()
        dist = f"hafs-studio-{name.replace('_', '-')}"
        (dist_info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
        (dist_info / "entry_points.txt").write_text(
            f"[hafs_studio.plugins]\n{name} = {name}\n")
        (dist_info / "top_level.txt").write_text(f"{name}\n")


# -- the measured child ----------------------------------------------------------------------
CHILD = r'''
import json, sys, time
t0 = time.perf_counter()
from studio.core.app import Studio
from studio.core.context import ContextRoot
imported = time.perf_counter()
studio = Studio(context=ContextRoot(__import__("pathlib").Path(sys.argv[1]), "bench"))
marks = {}
def timed(name, fn):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            marks[name] = (time.perf_counter() - start) * 1000
    return wrapper
studio.plugins.discover = timed("discover", studio.plugins.discover)
studio.plugins.load_all = timed("load", studio.plugins.load_all)
start = time.perf_counter()
studio.start()
total = (time.perf_counter() - start) * 1000
records = studio.plugins.records.values()
extra = [r for r in records if not r.builtin]
print(json.dumps({
    "studio_import_ms": (imported - t0) * 1000,
    "discover_ms": marks["discover"],
    "load_ms": marks["load"],
    "activate_ms": total - marks["discover"] - marks["load"],
    "start_total_ms": total,
    "plugins": len(records),
    "active": sum(r.state == "active" for r in records),
    "errored": [r.name for r in records if r.state == "errored"],
    "extra_load_ms": sum(r.load_ms for r in extra),
    "extra_activate_ms": sum(r.activate_ms for r in extra),
    "commands": len(list(studio.commands.all())),
    "views": len(studio.contributions.views),
}))
'''


def run_child(sites: list[Path], home: Path) -> dict:
    env = child_environment(HAFS_STUDIO_HOME=str(home))
    env["PYTHONPATH"] = os.pathsep.join([*map(str, sites), env["PYTHONPATH"]])
    result = subprocess.run([sys.executable, "-c", CHILD, str(home / "context")], env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(repeats: int, count: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="hafs-discovery-") as scratch_name:
        scratch = Path(scratch_name)
        example_site, dummy_site = scratch / "example-site", scratch / "dummy-site"
        dummy_site.mkdir()
        install_example(example_site, scratch)
        install_dummies(dummy_site, count)
        scenarios = {
            "built-ins only": [],
            "built-ins + example": [example_site],
            f"built-ins + example + {count} dummies": [example_site, dummy_site],
        }
        runs: dict[str, list[dict]] = {name: [] for name in scenarios}
        for sites in scenarios.values():  # warm-up: bytecode and file cache
            run_child(sites, Path(tempfile.mkdtemp(dir=scratch)))
        for _ in range(repeats):
            for name, sites in scenarios.items():
                runs[name].append(run_child(sites, Path(tempfile.mkdtemp(dir=scratch))))
    metrics = ("discover_ms", "load_ms", "activate_ms", "start_total_ms",
               "extra_load_ms", "extra_activate_ms")
    summary = {
        name: {m: median([run[m] for run in items]) for m in metrics}
        | {k: items[0][k] for k in ("plugins", "active", "errored", "commands", "views")}
        for name, items in runs.items()
    }
    full = summary[f"built-ins + example + {count} dummies"]
    baseline = summary["built-ins only"]
    return {
        "repeats": repeats,
        "dummy_plugins": count,
        "goal_ms": GOAL_MS,
        # The plugins' own cost: what example + dummies add to a start with built-ins only.
        "added_by_plugins_ms": full["start_total_ms"] - baseline["start_total_ms"],
        "full_start_ms": full["start_total_ms"],
        "median": summary,
        "runs": runs,
    }


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--plugins", type=int, default=100, help="dummy plugins to generate")
    options = parser.parse_args(argv)
    started = time.perf_counter()
    result = measure(options.repeats, options.plugins)
    rows = [
        [name, m["plugins"], m["discover_ms"], m["load_ms"], m["activate_ms"],
         m["start_total_ms"]]
        for name, m in result["median"].items()
    ]
    print_table(["scenario", "plugins", "discover ms", "load ms", "activate ms", "total ms"],
                rows, f"Studio.start() phases, median of {result['repeats']} fresh processes")
    print(f"example + {options.plugins} dummies: whole start {result['full_start_ms']:.1f} ms, "
          f"{result['added_by_plugins_ms']:.1f} ms more than built-ins only "
          f"(goal < {GOAL_MS:.0f} ms)")
    print(f"\nwrote {write_results('plugin_discovery', result)} "
          f"in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
