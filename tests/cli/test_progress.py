"""CLI job rendering: success, failure and cancellation map to exit codes."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap

from rich.console import Console

from studio.cli.progress import EXIT_CANCELLED, EXIT_FAILED, run_job


def _console() -> Console:
    return Console(file=io.StringIO(), force_terminal=True, width=100)


def test_success_and_failure(studio):
    def work(context, steps):
        for i in range(steps):
            context.report((i + 1) / steps, f"step {i + 1}")
        return "done"

    code, job = run_job(studio, "Counting", work, 20, console=_console())
    assert (code, job.result) == (0, "done")

    def broken(context):
        raise ValueError("bad input file /tmp/x.gguf")

    console = _console()
    code, job = run_job(studio, "Breaking", broken, console=console)
    assert code == EXIT_FAILED
    assert "bad input file /tmp/x.gguf" in console.file.getvalue()


def test_ctrl_c_cancels_the_job(tmp_path):
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from studio.testing import make_studio
        from studio.cli.progress import run_job

        def slow(context):
            print("started", flush=True)
            while True:
                context.raise_if_cancelled()
                context.wait(0.02)

        studio = make_studio(Path(sys.argv[1]))
        code, job = run_job(studio, "Slow", slow)
        print("exit", code, job.state, flush=True)
        studio.shutdown()
        sys.exit(code)
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert process.stdout.readline().strip() == "started"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()  # never leave a stuck child behind if the test fails
    assert process.returncode == EXIT_CANCELLED, err
    assert "exit 130 cancelled" in out


def test_ctrl_c_at_any_moment_of_the_start_cancels(tmp_path):
    """Ctrl+C while the main thread is still inside submit() (or anywhere else) cancels the job:
    it used to raise KeyboardInterrupt there, which could leave the job running and the process
    hanging. The job interrupts its own process at once, many times over."""
    script = textwrap.dedent(
        """
        import os, signal, sys
        from pathlib import Path
        from studio.testing import make_studio
        from studio.cli.progress import run_job

        def interrupted(context):
            os.kill(os.getpid(), signal.SIGINT)
            while True:
                context.raise_if_cancelled()
                context.wait(0.01)

        studio = make_studio(Path(sys.argv[1]))
        codes = {run_job(studio, "Interrupted", interrupted)[0] for _ in range(40)}
        print("codes", sorted(codes), flush=True)
        studio.shutdown()
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ))
    try:
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 0, err[-2000:]
    assert f"codes [{EXIT_CANCELLED}]" in out
