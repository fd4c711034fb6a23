"""Cold start to first painted window: HAFS Studio (all built-in plugins) vs a bare QMainWindow.

Each start is a fresh ``python`` process (``QT_QPA_PLATFORM=offscreen``); the two kinds
alternate, so drift on the machine affects both alike. For every start we record:

* ``spawn_to_paint_ms``: from the parent's clock just before it spawns the child to the moment
  the child's window finished its first paint, i.e. what a user waits for. Measured with the
  wall clock shared by both processes.
* ``in_process_ms``: the same end point, from the first line of the child script (so without
  the interpreter's own start).
* ``wall_ms``: the parent's ``perf_counter`` around the whole subprocess (spawn to exit; the
  child exits with ``os._exit`` right after the paint so teardown is not counted).

"First paint" is the first ``Paint`` event of the window plus ``QTimer.singleShot(0)``: by then
the whole repaint that event belonged to has finished. The event filter sits on the window, not
on the application (see ``_report_after_first_paint`` for the ~85 ms an application-wide one
added to the bare window). The studio child runs what ``hafs-studio`` runs:
``studio.__main__.parse_common`` and ``studio.shell.launch.start_gui``, then the event loop.

A returning user's studio paints its window before the core is imported (``studio.shell.
first_frame``: the themed window with its menu bar at the saved geometry); the shell, its
toolbar and docks follow on the next loop turn (``shell_painted``, also reported against the
bare window as ``spawn_to_shell_ms``), then the views and the plugins (``views_ready``).

    python benchmarks/startup.py [--repeats 7] [--profile]

``--profile`` also prints the slowest imports (``-X importtime``) and a cProfile summary of one
studio start. Goal: studio / bare ≤ 1.3 (median spawn-to-paint).

The studio child starts like ``hafs-studio``: from the cached plugin index when there is a valid
one (``studio``: the home persists between starts), so the window paints before any plugin is
imported and the plugins follow right after; a fresh home (``studio-first-run``) has no index
and starts every plugin first. Per plugin it reports the load and activation time and what it
cost before the first paint (budget: 5 ms for a built-in). ``views_ready`` is when the views on
screen exist and every plugin has started.
"""

from __future__ import annotations

import json
import os
import sys
import time

_T0 = time.perf_counter()  # first line of the child script: "in process" starts here

# name -> (child kind, studio home). "studio" is a usual start: the home already exists from an
# earlier run (icon cache filled, as for any returning user); "studio-first-run" gets a new
# empty home every time, like the very first launch after installing.
VARIANTS = {
    "bare": ("bare", "fresh"),
    "studio": ("studio", "persistent"),
    "studio-first-run": ("studio", "fresh"),
    # A returning user's start without the first-frame cache (deleted before each start; the
    # user has a settings file, so the default look is not assumed either): the window paints
    # only once the core and the shell are built, as every start did before the early frame.
    "studio-no-early-frame": ("studio", "persistent-no-frame"),
    # The same shell and core with no plugin at all: how much of the gap to the bare window is
    # the studio's own shell (the plugins' share is what "studio" takes beyond this).
    "shell-no-plugins": ("shell", "persistent-empty"),
}
GOAL_RATIO = 1.3
PLUGIN_BUDGET_MS = 5.0  # what one built-in plugin may add before the first paint
WINDOW_SIZE = (1600, 1000)


# -- the measured child ------------------------------------------------------------------
def _since_t0_ms() -> float:
    return (time.perf_counter() - _T0) * 1000


def _child(kind: str, profile_path: str | None) -> None:
    marks: dict[str, float] = {}
    profiler = None
    if profile_path:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    if kind == "bare":
        window, app = _build_bare(marks)
    else:
        window, app = _build_studio(marks, with_plugins=kind == "studio")
    _report_after_first_paint(app, window, marks, profiler, profile_path)


def _build_bare(marks: dict[str, float]) -> tuple:
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    marks["imports"] = _since_t0_ms()
    app = QApplication([sys.argv[0]])
    marks["qapplication"] = _since_t0_ms()
    window = QMainWindow()
    window.setCentralWidget(QLabel("bare QMainWindow"))
    window.resize(*WINDOW_SIZE)
    marks["window_built"] = _since_t0_ms()
    return window, app


def _build_studio(marks: dict[str, float], with_plugins: bool = True) -> tuple:
    if not with_plugins:
        return _build_shell_only(marks)
    # What hafs-studio does, by the same code: studio.__main__ parses the options and
    # studio.shell.launch.start_gui() shows the window (painted before the core is imported
    # when the home has a first-frame cache; see studio.shell.first_frame); the core, the shell
    # and then the plugins follow in the event loop.
    from studio.__main__ import parse_common
    from studio.shell.launch import start_gui

    options, _rest = parse_common([])
    marks["imports"] = _since_t0_ms()
    start = start_gui(options)
    marks["window_built"] = _since_t0_ms()

    def ready(_start) -> None:
        marks.setdefault("shell_built", _since_t0_ms())
        window._bench_indexed = start.studio.first_frame  # painted from the plugin index

    start.on_ready.append(ready)
    window = start.window
    window.resize(*WINDOW_SIZE)
    window._bench_start = start  # keep it alive until the process exits
    window._bench_early = start.frame is not None
    if start.ready:
        ready(start)
    return window, start.app


def _build_shell_only(marks: dict[str, float]) -> tuple:
    """The shell and core with no plugin at all (not a start hafs-studio makes: diagnostic)."""
    from PySide6.QtWidgets import QApplication

    from studio.core.app import Studio
    from studio.core.context import resolve_context_root
    from studio.shell.app import StudioShell
    from studio.shell.launch import prepare_qt_environment

    marks["imports"] = _since_t0_ms()
    prepare_qt_environment()
    app = QApplication([sys.argv[0]])
    studio = Studio(context=resolve_context_root(None), load_entry_points=False, builtins=())
    studio.start()
    shell = StudioShell(studio, restore_session=False)
    window = shell.start()
    window.resize(*WINDOW_SIZE)
    marks["window_built"] = _since_t0_ms()
    window._bench_start = _ShellOnly(studio, shell)
    window._bench_early = False
    window._bench_indexed = False
    return window, app


class _ShellOnly:
    """What the measurement reads from a start (as studio.shell.launch.GuiStart has it)."""

    def __init__(self, studio, shell) -> None:
        self.studio, self.shell = studio, shell


def _report_after_first_paint(app, window, marks, profiler, profile_path) -> None:
    from PySide6.QtCore import QEvent, QObject, QTimer

    def done() -> None:
        if "first_paint_done" not in marks:
            marks["first_paint_done"] = _since_t0_ms()
            marks["_paint_ns"] = time.time_ns()
            modules_at_first_paint.extend(sorted(sys.modules))
            if profiler is not None:  # the critical path: what runs before the first frame
                profiler.disable()
                profiler.dump_stats(profile_path)
            start = getattr(window, "_bench_start", None)
            studio = start.studio if start is not None else None
            if studio is not None:  # what each plugin cost before the first frame (none
                # was even imported when the window painted before the core)
                plugins_before_paint.update(
                    {r.name: r.load_ms + r.activate_ms for r in studio.plugins.records.values()
                     if r.state in ("loaded", "active", "errored")})
        start = getattr(window, "_bench_start", None)
        if start is not None and start.shell is None:  # the core and the shell come next
            QTimer.singleShot(2, done)
            return
        docks = getattr(window, "docks", None)
        if docks is not None:
            # The studio creates views right after its first frame: record when they exist too.
            # Docks on screen (a background tab is created when clicked, not at start-up).
            visible = [dock for dock in docks.values() if not dock.visibleRegion().isEmpty()]
            if not all(dock.materialized for dock in visible):
                QTimer.singleShot(2, done)
                return
            studio = start.studio
            if not studio.started:  # the plugins are still being imported
                QTimer.singleShot(2, done)
                return
            marks["views_ready"] = _since_t0_ms()
        spawn_ns = int(os.environ.get("HAFS_BENCH_SPAWN_NS", "0"))
        result = {
            "in_process_ms": marks["first_paint_done"],
            "spawn_to_paint_ms": (marks.pop("_paint_ns") - spawn_ns) / 1e6 if spawn_ns else None,
            "spawn_to_shell_ms": ((marks.pop("_shell_ns") - spawn_ns) / 1e6
                                  if spawn_ns and "_shell_ns" in marks else None),
            "marks_ms": marks,
        }
        if docks is not None:
            studio = start.studio
            result["indexed"] = window._bench_indexed
            result["early_frame"] = window._bench_early
            result["plugins_before_paint_ms"] = dict(plugins_before_paint)
            result["plugins_ms"] = {
                r.name: {"load": r.load_ms, "activate": r.activate_ms,
                         "before_paint": plugins_before_paint.get(r.name, 0.0)}
                for r in studio.plugins.records.values()}
        # Which modules the first frame needed: a noise-free companion to the times.
        result["modules_at_first_paint"] = modules_at_first_paint
        print(json.dumps(result), flush=True)
        os._exit(0)  # teardown is not part of start-up

    plugins_before_paint: dict[str, float] = {}
    modules_at_first_paint: list[str] = []

    class FirstPaint(QObject):
        seen = False

        def eventFilter(self, obj, event) -> bool:
            if not self.seen and event.type() == QEvent.Type.Paint:
                self.seen = True
                marks["first_paint_event"] = _since_t0_ms()
                QTimer.singleShot(0, done)
            return False

    frames = [0]

    def frame_shown() -> None:  # the shell's frame: the first, or the second after an early one
        frames[0] += 1
        if frames[0] == (2 if window._bench_early else 1):
            marks["shell_painted"] = _since_t0_ms()
            marks["_shell_ns"] = time.time_ns()

    if hasattr(window, "first_frame_shown"):
        window.first_frame_shown.connect(frame_shown)
    watcher = FirstPaint()
    # On the window, not the application: an application-wide Python filter sees every event
    # of every object, and the first one for an object of a class PySide6 has no wrapper for
    # (a QMainWindow's private layout helpers, once it has a central widget) costs ~85 ms of
    # CPU in PySide's type lookup. That cost is the measurement's, not the window's: it made
    # the bare window's first paint ~85 ms later than it is (benchmarks/startup_filter_probe.py:
    # show() to first paint 102-112 ms with the application filter, 17-18 ms with this one).
    window.installEventFilter(watcher)
    window._bench_watcher = watcher
    QTimer.singleShot(60_000, lambda: os._exit(3))  # never hang a benchmark run
    window.show()
    marks["shown"] = _since_t0_ms()
    app.exec()


# -- the parent: spawn, alternate, summarize -------------------------------------------------
_SHADOW_EDITABLE = """\
# Written by benchmarks/startup.py --baseline: the checkout on PYTHONPATH, not the editable
# install of this environment, provides `studio` in the baseline's children.
import sys
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in type(f).__module__]
"""


def _baseline_environment(scratch: str, checkout: str) -> dict[str, str]:
    shadow = os.path.join(scratch, "baseline-site")
    os.makedirs(shadow, exist_ok=True)
    with open(os.path.join(shadow, "sitecustomize.py"), "w", encoding="utf-8") as handle:
        handle.write(_SHADOW_EDITABLE)
    return {"PYTHONPATH": os.pathsep.join((shadow, checkout))}


def _spawn(kind: str, scratch, home: str | None = None, extra_args: tuple[str, ...] = (),
           python_flags=(), baseline: str | None = None) -> tuple:
    import subprocess
    import tempfile

    from _common import child_environment

    home = home or tempfile.mkdtemp(prefix="home-", dir=scratch)
    env = child_environment(
        HAFS_STUDIO_HOME=home,
        HAFS_CONTEXT_ROOT=os.path.join(home, "context"),
        HAFS_BENCH_SPAWN_NS=str(time.time_ns()),
    )
    script = __file__
    if baseline is not None:  # the same measurement, by the baseline checkout's own script
        env.update(_baseline_environment(scratch, baseline))
        script = os.path.join(baseline, "benchmarks", "startup.py")
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, *python_flags, script, "--child", kind, *extra_args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    wall_ms = (time.perf_counter() - start) * 1000
    if result.returncode != 0:
        raise RuntimeError(f"{kind} child failed ({result.returncode}):\n{result.stderr}")
    data = json.loads(result.stdout.strip().splitlines()[-1])
    data["wall_ms"] = wall_ms
    return data, result.stderr


def measure(repeats: int, baseline: str | None = None) -> dict:
    import tempfile

    from _common import median

    variants = dict(VARIANTS)
    if baseline is not None:
        variants["baseline"] = ("studio", "baseline")
    runs: dict[str, list[dict]] = {name: [] for name in variants}
    with tempfile.TemporaryDirectory(prefix="hafs-startup-") as scratch:
        persistent = os.path.join(scratch, "persistent-home")
        homes = {"persistent": persistent, "fresh": None,
                 "persistent-empty": os.path.join(scratch, "persistent-empty-home"),
                 "persistent-no-frame": os.path.join(scratch, "persistent-no-frame-home"),
                 "baseline": os.path.join(scratch, "baseline-home")}

        def spawn(name: str) -> dict:
            kind, home = variants[name]
            if home == "persistent-no-frame":  # the files studio.shell.first_frame reads
                cache = os.path.join(homes[home], "cache", "first-frame.json")
                if os.path.exists(cache):
                    os.remove(cache)
                config = os.path.join(homes[home], "config")
                os.makedirs(config, exist_ok=True)
                with open(os.path.join(config, "settings.json"), "w", encoding="utf-8") as out:
                    out.write('{"appearance": {"theme": "cobalt"}}\n')
            return _spawn(kind, scratch, homes[home],
                          baseline=baseline if name == "baseline" else None)[0]

        for name in variants:  # warm-up: .pyc, file cache, icon cache, index; not counted
            spawn(name)
        names = list(variants)
        for index in range(repeats):
            order = names if index % 2 == 0 else names[::-1]
            for name in order:
                runs[name].append(spawn(name))
    summary = {}
    for name, items in runs.items():
        summary[name] = {
            metric: median([run[metric] for run in items])
            for metric in ("spawn_to_paint_ms", "in_process_ms", "wall_ms")
        }
        summary[name]["phases_ms"] = {
            mark: median([run["marks_ms"][mark] for run in items if mark in run["marks_ms"]])
            for mark in items[0]["marks_ms"]
        }
        shell_times = [run["spawn_to_shell_ms"] for run in items if run.get("spawn_to_shell_ms")]
        if shell_times:  # the whole shell (toolbar, docks) on screen, views still coming
            summary[name]["spawn_to_shell_ms"] = median(shell_times)
            summary[name]["early_frame_starts"] = sum(bool(run.get("early_frame"))
                                                      for run in items)
        if "modules_at_first_paint" in items[0]:  # a baseline's older script has no list
            summary[name]["modules_at_first_paint"] = median(
                [len(run["modules_at_first_paint"]) for run in items])
        if "plugins_ms" in items[0]:
            summary[name]["indexed_starts"] = sum(bool(run.get("indexed")) for run in items)
            summary[name]["plugins_ms"] = {
                plugin: {part: median([run["plugins_ms"][plugin][part] for run in items])
                         for part in ("load", "activate", "before_paint")}
                for plugin in items[0]["plugins_ms"]}
    bare = summary["bare"]
    ratios = {
        name: {metric: summary[name][metric] / bare[metric]
               for metric in ("spawn_to_paint_ms", "in_process_ms", "wall_ms")}
        for name in variants if name != "bare"
    }
    for name in variants:
        if "spawn_to_shell_ms" in summary[name]:
            ratios[name]["spawn_to_shell_ms"] = (summary[name]["spawn_to_shell_ms"]
                                                 / bare["spawn_to_paint_ms"])
    budget = {name: {plugin: times["before_paint"] <= PLUGIN_BUDGET_MS
                     for plugin, times in summary[name]["plugins_ms"].items()}
              for name in VARIANTS if name != "bare"}
    # What the studio's first frame imports beyond the bare window (one run; the list is the
    # same in every run), then the modules themselves are dropped from the saved runs.
    bare_modules = set(runs["bare"][0]["modules_at_first_paint"])
    beyond_bare = sorted(set(runs["studio"][0]["modules_at_first_paint"]) - bare_modules)
    for items in runs.values():
        for run in items:
            run.pop("modules_at_first_paint", None)
    return {
        "repeats": repeats,
        "studio_modules_beyond_bare_at_first_paint": beyond_bare,
        "baseline": baseline,
        "goal_ratio": GOAL_RATIO,
        "plugin_budget_ms": PLUGIN_BUDGET_MS,
        "plugins_within_budget": budget,
        "load_average": os.getloadavg(),
        "ratio_spawn_to_paint": ratios["studio"]["spawn_to_paint_ms"],
        "ratios": ratios,
        "overhead_ms": summary["studio"]["spawn_to_paint_ms"] - bare["spawn_to_paint_ms"],
        "median": summary,
        "runs": runs,
    }


def profile(top: int = 15) -> dict:
    """Where a studio start spends its time: slowest imports and a cProfile summary."""
    import io
    import pstats
    import tempfile

    with tempfile.TemporaryDirectory(prefix="hafs-startup-profile-") as scratch:
        home = os.path.join(scratch, "home")
        _spawn("studio", scratch, home)  # fill the icon cache: profile a usual start
        _, stderr = _spawn("studio", scratch, home, python_flags=("-X", "importtime"))
        prof = os.path.join(scratch, "studio.prof")
        _spawn("studio", scratch, home, extra_args=("--cprofile", prof))
        buffer = io.StringIO()
        stats = pstats.Stats(prof, stream=buffer)
        stats.sort_stats("cumulative").print_stats(top * 2)
    imports = _parse_importtime(stderr)
    by_package: dict[str, float] = {}
    for name, self_ms, _ in imports:
        root = name.split(".")[0]
        by_package[root] = by_package.get(root, 0.0) + self_ms
    studio_modules = sorted((i for i in imports if i[0].startswith("studio")),
                            key=lambda item: -item[2])
    return {
        "import_self_ms_by_package": sorted(
            ((name, round(ms, 1)) for name, ms in by_package.items()), key=lambda i: -i[1])[:top],
        "studio_modules_cumulative_ms": [(n, round(c, 1)) for n, _, c in studio_modules[:top]],
        "cprofile_cumulative": buffer.getvalue(),
    }


def _parse_importtime(stderr: str) -> list[tuple[str, float, float]]:
    """(module, self ms, cumulative ms) for each line of ``-X importtime`` output."""
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        self_us, cumulative_us, name = line.removeprefix("import time:").split("|")
        rows.append((name.strip(), int(self_us) / 1000, int(cumulative_us) / 1000))
    return rows


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="starts of each kind (>= 5)")
    parser.add_argument("--profile", action="store_true", help="also profile one studio start")
    parser.add_argument("--baseline", metavar="CHECKOUT", default=None,
                        help="also start another checkout of the studio (e.g. a worktree of "
                             "main), interleaved: a before/after in the same run")
    options = parser.parse_args(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _common import print_table, write_results

    result = measure(max(5, options.repeats), options.baseline)
    rows = [
        [name, m["spawn_to_paint_ms"], m["in_process_ms"], m["wall_ms"],
         result["ratios"].get(name, {}).get("spawn_to_paint_ms", 1.0)]
        for name, m in result["median"].items()
    ]
    print_table(["start", "spawn→paint ms", "in-process ms", "wall ms", "x bare"], rows,
                f"Cold start to first paint, median of {result['repeats']} (offscreen)")
    print(f"studio / bare: {result['ratio_spawn_to_paint']:.2f}x (goal ≤ {GOAL_RATIO}x); "
          f"the studio takes {result['overhead_ms']:.0f} ms more")
    studio = result["median"]["studio"]
    if "spawn_to_shell_ms" in studio:
        print(f"the whole shell (toolbar, docks) on screen: {studio['spawn_to_shell_ms']:.0f} ms, "
              f"{result['ratios']['studio']['spawn_to_shell_ms']:.2f}x bare's first paint; "
              f"early first frame in {studio['early_frame_starts']} of {result['repeats']} starts")
    beyond = result["studio_modules_beyond_bare_at_first_paint"]
    print(f"modules at first paint: bare {result['median']['bare']['modules_at_first_paint']:.0f}, "
          f"studio {result['median']['studio']['modules_at_first_paint']:.0f} "
          f"({sum(m.startswith('studio') for m in beyond)} of the studio's own)")
    for name in ("studio", "studio-first-run"):
        plugins = result["median"][name]["plugins_ms"]
        print_table(["plugin", "load ms", "activate ms", "before first paint ms"],
                    [[p, t["load"], t["activate"], t["before_paint"]] for p, t in plugins.items()],
                    f"{name}: time per plugin (median; budget {PLUGIN_BUDGET_MS} ms before paint)")
    phases = result["median"]["studio"]["phases_ms"]
    print_table(["studio phase", "ms since script start"], [[k, v] for k, v in phases.items()])
    if options.profile:
        result["profile"] = profile()
        print_table(["package", "import self ms"], result["profile"]["import_self_ms_by_package"])
        print_table(["studio module", "import cumulative ms"],
                    result["profile"]["studio_modules_cumulative_ms"])
        print("\n" + result["profile"]["cprofile_cumulative"][:6000])
    print(f"\nwrote {write_results('startup', result)}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        args = sys.argv[2:]
        _child(args[0], args[2] if args[1:2] == ["--cprofile"] else None)
    sys.exit(main(sys.argv[1:]))
