"""A real, small training run to watch: a character-level MLP language model in NumPy.

The model (Bengio et al. 2003 style) predicts the next character from the previous eight:
embeddings (16 per character) → one tanh hidden layer (128) → softmax over the characters of
the bundled text, trained with Adam, mini-batches of 64, a linear warm-up and decay. The text
is the opening of Lewis Carroll's *Alice's Adventures in Wonderland* (1865; public domain,
Project Gutenberg eBook #11), ``alice.txt`` beside this module. The loss starts near
ln(vocabulary) ≈ 3.9 and falls within a few hundred steps.

While it trains it writes exactly what a Hugging Face Trainer run would give the monitor:

* ``checkpoint-N/trainer_state.json`` every ``save_steps`` (HF layout: sorted keys, indent 2,
  the whole ``log_history``) with the weights beside it (``weights.npz``), and a top-level
  ``trainer_state.json`` at the end;
* ``studio_metrics.jsonl`` through :class:`studio.callbacks.MetricsWriter` (every logging step);
* ``train.log``: a tqdm-style bar redrawn with ``\\r`` and HF dict lines.
"""

from __future__ import annotations

import json
import math
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from studio.api import atomic_write_bytes, atomic_write_text
from studio.callbacks import MetricsWriter

__all__ = ["DemoConfig", "DemoResult", "train_demo"]

CORPUS = Path(__file__).with_name("alice.txt")


@dataclass(frozen=True)
class DemoConfig:
    out: Path
    max_steps: int = 300
    context: int = 8
    embed: int = 16
    hidden: int = 128
    batch_size: int = 64
    learning_rate: float = 3e-3
    warmup_steps: int = 20
    logging_steps: int = 5
    eval_steps: int = 50
    save_steps: int = 50
    step_delay: float = 0.0  # seconds to sleep per step, so a live run lasts long enough to watch
    seed: int = 0


@dataclass(frozen=True)
class DemoResult:
    out: Path
    steps: int
    first_loss: float
    final_loss: float
    eval_loss: float | None
    status: str


class _Stop(Exception):
    """SIGTERM arrived: finish the step, record "stopped", exit cleanly."""


def _windows(text: str, context: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    vocab = sorted(set(text))
    index = {ch: i for i, ch in enumerate(vocab)}
    ids = np.array([index[ch] for ch in text], dtype=np.int64)
    rows = np.lib.stride_tricks.sliding_window_view(ids, context + 1)
    return rows[:, :context].copy(), rows[:, context].copy(), vocab


class _Model:
    def __init__(self, vocab: int, config: DemoConfig, rng: np.random.Generator) -> None:
        fan_in = config.context * config.embed
        self.params = {
            "embed": rng.normal(0, 1.0, (vocab, config.embed)),
            "w1": rng.normal(0, 1 / math.sqrt(fan_in), (fan_in, config.hidden)),
            "b1": np.zeros(config.hidden),
            "w2": rng.normal(0, 1 / math.sqrt(config.hidden), (config.hidden, vocab)) * 0.1,
            "b2": np.zeros(vocab),
        }
        self.m = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.v = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.t = 0

    def loss(self, x: np.ndarray, y: np.ndarray, grads: bool = True
             ) -> tuple[float, dict[str, np.ndarray]]:
        p = self.params
        emb = p["embed"][x]  # (B, C, E)
        flat = emb.reshape(len(x), -1)
        hidden = np.tanh(flat @ p["w1"] + p["b1"])
        logits = hidden @ p["w2"] + p["b2"]
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        loss = float(-np.log(probs[np.arange(len(y)), y] + 1e-12).mean())
        if not grads:
            return loss, {}
        dlogits = probs
        dlogits[np.arange(len(y)), y] -= 1
        dlogits /= len(y)
        g = {"w2": hidden.T @ dlogits, "b2": dlogits.sum(axis=0)}
        dhidden = (dlogits @ p["w2"].T) * (1 - hidden**2)
        g["w1"] = flat.T @ dhidden
        g["b1"] = dhidden.sum(axis=0)
        dflat = (dhidden @ p["w1"].T).reshape(emb.shape)
        g["embed"] = np.zeros_like(p["embed"])
        np.add.at(g["embed"], x, dflat)
        return loss, g

    def step(self, grads: dict[str, np.ndarray], lr: float) -> float:
        """One Adam update; returns the global gradient norm (before the update)."""
        norm = math.sqrt(sum(float((g * g).sum()) for g in grads.values()))
        self.t += 1
        for key, grad in grads.items():
            self.m[key] = 0.9 * self.m[key] + 0.1 * grad
            self.v[key] = 0.999 * self.v[key] + 0.001 * grad * grad
            m_hat = self.m[key] / (1 - 0.9**self.t)
            v_hat = self.v[key] / (1 - 0.999**self.t)
            self.params[key] -= lr * m_hat / (np.sqrt(v_hat) + 1e-8)
        return norm


def _interval(seconds: float) -> str:
    seconds = int(max(0, seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def _bar(step: int, total: int, started: float, now: float) -> str:
    fraction = step / total if total else 1.0
    filled = int(fraction * 10)
    elapsed = now - started
    rate = step / elapsed if elapsed > 0 and step else 0.0
    remaining = _interval((total - step) / rate) if rate else "?"
    rate_text = f"{rate:.2f}it/s" if rate >= 1 or not rate else f"{1 / rate:.2f}s/it"
    return (f"\r{int(fraction * 100):3d}%|{'█' * filled}{' ' * (10 - filled)}| {step}/{total} "
            f"[{_interval(elapsed)}<{remaining}, {rate_text}]")


def _trainer_state(config: DemoConfig, step: int, epoch: float, epochs: int, *,
                   history: list[dict[str, Any]], best: tuple[float, str] | None) -> str:
    state = {
        "best_global_step": None, "best_metric": best[0] if best else None,
        "best_model_checkpoint": best[1] if best else None, "epoch": epoch,
        "eval_steps": config.eval_steps, "global_step": step, "is_hyper_param_search": False,
        "is_local_process_zero": True, "is_world_process_zero": True,
        "log_history": history, "logging_steps": config.logging_steps,
        "max_steps": config.max_steps, "num_input_tokens_seen": 0,
        "num_train_epochs": epochs, "save_steps": config.save_steps,
        "stateful_callbacks": {}, "total_flos": 0.0,
        "train_batch_size": config.batch_size, "trial_name": None, "trial_params": None,
    }
    return json.dumps(state, indent=2, sort_keys=True) + "\n"


def train_demo(config: DemoConfig, *, progress: Callable[[int, int, float], None] | None = None,
               should_stop: Callable[[], bool] | None = None) -> DemoResult:
    """Train, writing checkpoints, the JSONL stream and the log; return the outcome.

    ``progress(step, max_steps, loss)`` is called after every step; ``should_stop()`` is
    polled between steps (a cancelled job). SIGTERM stops cleanly when called from the main
    thread of a process.
    """
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(config.seed)
    x_all, y_all, vocab = _windows(CORPUS.read_text(encoding="utf-8"), config.context)
    split = int(len(x_all) * 0.9)
    x_train, y_train, x_eval, y_eval = x_all[:split], y_all[:split], x_all[split:], y_all[split:]
    steps_per_epoch = max(1, len(x_train) // config.batch_size)
    epochs = math.ceil(config.max_steps / steps_per_epoch)
    model = _Model(len(vocab), config, rng)
    history: list[dict[str, Any]] = []
    best: tuple[float, str] | None = None
    first_loss = final_loss = math.nan
    eval_loss: float | None = None
    status, error = "completed", None
    previous = _install_sigterm()
    log = open(out / "train.log", "a", encoding="utf-8")  # noqa: SIM115 - closed in finally
    writer = MetricsWriter(out, run_name=out.name, max_steps=config.max_steps,
                           num_train_epochs=epochs)
    started = time.time()
    step = 0
    try:
        _header(log, config, len(x_train), len(vocab), out)
        writer.start(vocab_size=len(vocab), model="char-mlp")
        window: list[float] = []
        for step in range(1, config.max_steps + 1):
            if should_stop is not None and should_stop():
                raise _Stop()
            rows = rng.integers(0, len(x_train), config.batch_size)
            loss, grads = model.loss(x_train[rows], y_train[rows])
            lr = config.learning_rate * min(1.0, step / max(1, config.warmup_steps)) * \
                max(0.0, 1 - step / (config.max_steps + 1))
            grad_norm = model.step(grads, lr)
            first_loss = loss if step == 1 else first_loss
            final_loss = loss
            window.append(loss)
            epoch = round(step / steps_per_epoch, 4)
            log.write(_bar(step, config.max_steps, started, time.time()))
            if step % config.logging_steps == 0 or step == config.max_steps:
                mean = float(np.mean(window))
                window = []
                entry = {"epoch": epoch, "grad_norm": round(grad_norm, 6),
                         "learning_rate": lr, "loss": round(mean, 4), "step": step}
                history.append(entry)
                log.write("\n" + repr({k: v for k, v in entry.items() if k != "step"}) + "\n")
                writer.log(step, {"loss": mean, "grad_norm": grad_norm, "learning_rate": lr},
                           epoch=epoch)
            if step % config.eval_steps == 0 or step == config.max_steps:
                eval_loss = model.loss(x_eval, y_eval, grads=False)[0]
                history.append({"epoch": epoch, "eval_loss": round(eval_loss, 4),
                                "step": step})
                log.write("\n" + repr({"eval_loss": round(eval_loss, 4), "epoch": epoch}) + "\n")
                writer.log(step, {"eval_loss": eval_loss}, epoch=epoch)
                name = f"checkpoint-{step}"
                if best is None or eval_loss < best[0]:
                    best = (eval_loss, str(out / name))
            if step % config.save_steps == 0 or step == config.max_steps:
                _save(out / f"checkpoint-{step}", model, _trainer_state(
                    config, step, epoch, epochs, history=history, best=best))
                writer.save(step, f"checkpoint-{step}")
            log.flush()
            if progress is not None:
                progress(step, config.max_steps, loss)
            if config.step_delay:
                time.sleep(config.step_delay)
        runtime = time.time() - started
        atomic_write_text(out / "trainer_state.json", _trainer_state(
            config, step, round(step / steps_per_epoch, 4), epochs, history=history,
            best=best))
        log.write("\n" + repr({"train_runtime": round(runtime, 3),
                               "train_steps_per_second": round(step / runtime, 3),
                               "train_loss": round(final_loss, 4),
                               "epoch": round(step / steps_per_epoch, 4)}) + "\n")
    except (_Stop, KeyboardInterrupt):
        status, error = "stopped", "stopped by the user"
        log.write(f"\nTraining stopped at step {step}\n")
    except Exception as exc:
        status, error = "failed", f"{type(exc).__name__}: {exc}"
        import traceback

        log.write("\n" + traceback.format_exc())
        raise
    finally:
        writer.end(status, error, step=step)
        log.close()
        _restore_sigterm(previous)
    return DemoResult(out, step, first_loss, final_loss, eval_loss, status)


def _header(log: TextIO, config: DemoConfig, samples: int, vocab: int, out: Path) -> None:
    log.write("=" * 80 + "\nTraining Configuration\n" + "=" * 80 + "\n"
              f"Dataset:      {CORPUS.name} ({samples} windows, {vocab} characters)\n"
              f"Base Model:   char-mlp (context {config.context}, embed {config.embed}, "
              f"hidden {config.hidden})\n"
              f"Output Model: {out.name}\nOutput Dir:   {out}\nDevice:       cpu (NumPy)\n\n"
              f"Training started at: {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
    log.flush()


def _save(folder: Path, model: _Model, state: str) -> None:
    import io

    buffer = io.BytesIO()
    np.savez(buffer, **model.params)
    atomic_write_bytes(folder / "weights.npz", buffer.getvalue())
    atomic_write_text(folder / "trainer_state.json", state)


def _install_sigterm() -> Any:
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum: int, frame: Any) -> None:
        raise _Stop()

    return signal.signal(signal.SIGTERM, handler)


def _restore_sigterm(previous: Any) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    """``python -m studio.plugins.training.demo OUT [STEPS] [STEP_DELAY] [SEED]``."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m studio.plugins.training.demo OUT [STEPS] [STEP_DELAY] [SEED]",
              file=sys.stderr)
        return 2
    config = DemoConfig(Path(args[0]), max_steps=int(args[1]) if len(args) > 1 else 300,
                        step_delay=float(args[2]) if len(args) > 2 else 0.0,
                        seed=int(args[3]) if len(args) > 3 else 0)
    result = train_demo(config)
    print(f"{result.status}: {result.steps} steps, loss {result.first_loss:.3f} → "
          f"{result.final_loss:.3f}, written to {result.out}", file=sys.stderr)
    return 0 if result.status in ("completed", "stopped") else 1


if __name__ == "__main__":
    sys.exit(main())
