"""Fixtures of the Deploy plugin tests: tiny real models, a registry, a manager, Ollama.

Models are written by the Models tests' ``tiny_models`` (random weights, trained tokenizers,
no downloads); GGUFs are made from them by the Models plugin's own converter.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "models"))

from deploy_helpers import MODEL_ID  # noqa: E402
from tiny_models import make_checkpoint  # noqa: E402

from studio.plugins.deploy.api import DeployManager, deploy_manager  # noqa: E402
from studio.plugins.models.api import ModelsService  # noqa: E402
from studio.testing import BUILTIN_PLUGINS  # noqa: E402


@pytest.fixture(scope="session")
def tiny_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Qwen2 (byte-level BPE, ChatML template) and Llama (SentencePiece) checkpoints."""
    root = tmp_path_factory.mktemp("tiny")
    return {"qwen2": make_checkpoint(root / "qwen2", "qwen2", tokenizer="bpe").folder,
            "llama": make_checkpoint(root / "llama", "llama", tokenizer="spm").folder}


@pytest.fixture(scope="session")
def tiny_gguf(tiny_checkpoints: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
              ) -> Path:
    """An F16 GGUF of the Qwen2 checkpoint (read-only: copy it before changing it)."""
    out = tmp_path_factory.mktemp("gguf") / "tiny-qwen-F16.gguf"
    return ModelsService(out.parent / "ctx").convert(tiny_checkpoints["qwen2"], outtype="f16",
                                                     out=out).path


@pytest.fixture
def context(tmp_path: Path, tiny_checkpoints: dict[str, Path]) -> Path:
    """A hafs context root with MODEL_ID registered (its own copy of the Qwen2 checkpoint)."""
    folder = tmp_path / "models" / MODEL_ID
    shutil.copytree(tiny_checkpoints["qwen2"], folder)
    root = tmp_path / "context"
    ModelsService(root).register(folder, model_id=MODEL_ID, base="Qwen/Qwen2.5-0.5B",
                                 role="asm")
    return root


@pytest.fixture
def studio(studio_factory, context: Path):
    """A started studio with the real built-ins on ``context`` (small llama.cpp contexts)."""
    studio = studio_factory(builtins=BUILTIN_PLUGINS, context=context)
    studio.settings.set("deploy", "n_ctx", 256)
    return studio


@pytest.fixture
def manager(studio) -> DeployManager:
    return deploy_manager(studio)


@pytest.fixture
def fake_ollama(tmp_path: Path, studio):
    from ollama_server import FakeOllama

    server = FakeOllama(tmp_path / "ollama-blobs").start()
    studio.settings.set("deploy", "ollama_url", server.url)
    yield server
    server.stop()
