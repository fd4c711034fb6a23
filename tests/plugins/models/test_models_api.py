"""Register / detect and the service API the panel and CLI call, end to end on real files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tiny_models import load_llama, make_checkpoint, write_lora_adapter

from studio.plugins.models.api import ModelsService
from studio.plugins.models.detect import DetectError, detect_model
from studio.plugins.models.hf_to_gguf import ConversionError
from studio.plugins.models.ids import InvalidModelIdError
from studio.plugins.models.quantize import QuantizeError
from studio.plugins.models.registry import UnknownModelError
from studio.plugins.models.schema import FIELDS


@pytest.fixture
def service(tmp_path: Path) -> ModelsService:
    return ModelsService(tmp_path / "context")


@pytest.fixture
def hf_run(tmp_path: Path, models_data: Path):
    """A HF-Trainer run folder: weights, a hafs metadata.json and two checkpoints."""
    model = make_checkpoint(tmp_path / "runs" / "oracle-rauru-assembler-qwen25-coder-15b-20251222",
                            "qwen2", tokenizer="bpe", shards=2)
    shutil.copy(models_data / "hafs_finetune_metadata.json", model.folder / "metadata.json")
    for step, loss in ((100, 2.0), (252, 1.0)):
        checkpoint = model.folder / f"checkpoint-{step}"
        checkpoint.mkdir()
        history = [{"loss": loss + 0.5, "step": step - 10}, {"loss": loss, "step": step},
                   {"eval_loss": loss + 0.2, "step": step}]
        (checkpoint / "trainer_state.json").write_text(json.dumps(
            {"global_step": step, "max_steps": 252, "num_train_epochs": 2, "log_history": history}))
    return model


def test_detect_hf_run_fills_fields_from_hafs_metadata_and_trainer_state(hf_run):
    detection = detect_model(hf_run.folder)
    assert detection.kind == "hf" and detection.architecture == "Qwen2ForCausalLM"
    assert detection.parameter_count == sum(w.size for w in hf_run.weights.values())
    fields = detection.fields
    assert fields["role"] == "asm" and fields["base_model"] == "Qwen/Qwen2.5-Coder-1.5B"
    assert fields["display_name"] == "Oracle: Rauru Assembler"  # as written, not prefixed again
    assert fields["dataset_name"] == "alttp_yaze_full_1000_20251221_195746"
    assert fields["train_samples"] == 504 and fields["training_duration_minutes"] == 95
    assert fields["final_loss"] == 1.0 and fields["best_loss"] == 1.0  # highest checkpoint-N
    assert fields["eval_loss"] == pytest.approx(1.2)
    assert fields["lora_config"] == {"r": 16, "lora_alpha": 32}
    assert fields["hyperparameters"]["learning_rate"] == 0.0002
    assert (fields["hardware"], fields["device"]) == ("mac-mps", "mps")
    assert fields["formats"] == ["safetensors"]


def test_real_trainer_state(tmp_path: Path, models_data: Path):
    model = make_checkpoint(tmp_path / "m", "llama")
    shutil.copy(models_data / "hf_trainer_state_aigoncharov.json",
                model.folder / "trainer_state.json")
    fields = detect_model(model.folder).fields
    # 216 log entries: 30 training entries with "loss", the rest eval_g<N>_* keys only.
    assert fields["final_loss"] == 0.0549 and fields["best_loss"] == 0.0531
    assert "eval_loss" not in fields
    assert fields["hyperparameters"]["num_train_epochs"] == 30
    assert fields["hyperparameters"]["global_step"] == 12030


def test_register_convert_quantize_compare_remove(service: ModelsService, hf_run, tmp_path):
    entry = service.register(hf_run.folder, location="mac")
    model_id = "oracle-rauru-assembler-qwen25-coder-15b-20251222"
    assert entry["model_id"] == model_id and list(entry) == list(FIELDS)
    assert entry["locations"] == {"mac": str(hf_run.folder)}
    assert service.list_json(role="asm")["total"] == 1
    result = service.convert(model_id, outtype="q8_0")
    assert result.path == hf_run.folder / f"{model_id}-Q8_0.gguf"  # inside, as hafs deploys
    assert service.info(model_id)["formats"] == ["safetensors", "gguf"]
    artifacts = service.studio_data(model_id)["artifacts"]
    assert [(a["type"], a["path"]) for a in artifacts] == [("Q8_0", str(result.path))]
    load_llama(result.path)
    with pytest.raises(QuantizeError, match="already quantized"):
        service.quantize(result.path, "Q4_0", model_id=model_id)
    f16 = service.convert(model_id, outtype="f16")
    quantized = service.quantize(f16.path, "Q4_0", model_id=model_id)
    assert quantized.path.name == f"{model_id}-Q4_0.gguf"
    assert [a["type"] for a in service.studio_data(model_id)["artifacts"]] == [
        "Q8_0", "F16", "Q4_0"]
    assert service.info(model_id)["formats"].count("gguf") == 1
    other = service.register(result.path, model_id="rauru-gguf", role="asm", base="Qwen/x")
    assert other["formats"] == ["gguf"]
    diff = {c.field for c in service.compare(model_id, "rauru-gguf") if c.differs}
    assert {"model_id", "formats", "locations", "base_model"} <= diff
    assert "role" not in diff
    service.remove("rauru-gguf")
    assert result.path.exists()  # removing never deletes files
    with pytest.raises(UnknownModelError):
        service.info("rauru-gguf")


def test_lora_adapter_registers_and_converts_with_its_base(service: ModelsService, tmp_path):
    base = make_checkpoint(tmp_path / "base", "llama")
    write_lora_adapter(tmp_path / "my-adapter", base)
    entry = service.register(tmp_path / "my-adapter", role="debug")
    assert entry["adapter_path"] == str(tmp_path / "my-adapter")
    assert entry["base_model"] == str(base.folder)
    assert entry["lora_config"]["r"] == 4
    result = service.convert("my-adapter", outtype="f16")
    assert result.path.exists()
    shutil.rmtree(base.folder)
    with pytest.raises(ConversionError, match="base model is not a local folder"):
        service.convert("my-adapter")


def test_register_rejects_bad_input(service: ModelsService, tmp_path: Path):
    with pytest.raises(DetectError, match="no such file"):
        service.register(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DetectError, match=r"config\.json"):
        service.register(tmp_path / "empty")
    model = make_checkpoint(tmp_path / "m", "llama")
    with pytest.raises(InvalidModelIdError):
        service.register(model.folder, model_id="two\nlines")
    with pytest.raises(DetectError, match="location 'linux'"):
        service.register(model.folder, location="linux")


def hafs_deploy_finds(entry: dict) -> Path:
    """hafs's ``deploy_to_ollama`` lookup (model_deployment.py:328-334, hafs-formats §1.5):
    ``gguf`` must be in formats, then the first ``*.gguf`` directly inside ``locations["mac"]``."""
    assert "gguf" in entry["formats"]
    gguf_files = list(Path(entry["locations"]["mac"]).glob("*.gguf"))
    if not gguf_files:
        raise ValueError(f"No GGUF files found in {entry['locations']['mac']}")
    return gguf_files[0]


def test_an_id_with_spaces_is_viewed_edited_converted_where_hafs_deploys(
        service: ModelsService, tmp_path: Path):
    model = make_checkpoint(tmp_path / "runs" / "My Rauru Model", "llama")
    entry = service.register(model.folder, role="asm")  # hafs's default id: the folder name
    assert entry["model_id"] == "My Rauru Model"
    assert service.info("My Rauru Model")["role"] == "asm"
    service.set_notes_and_tags("My Rauru Model", notes="spaces are fine")
    before = service.info("My Rauru Model")["formats"]
    assert "gguf" not in before
    result = service.convert("My Rauru Model", outtype="f16")
    assert result.path == model.folder / "My Rauru Model-f16.gguf"  # hafs's own file name
    entry = service.info("My Rauru Model")
    assert entry["formats"] == [*before, "gguf"] and entry["notes"] == "spaces are fine"
    assert hafs_deploy_finds(entry) == result.path
    load_llama(result.path)  # a real, loadable GGUF
    # Again, replacing the file (never silently): gguf is still listed once.
    service.convert("My Rauru Model", outtype="f16", overwrite=True)
    assert service.info("My Rauru Model")["formats"].count("gguf") == 1


def test_a_failed_conversion_records_nothing(service: ModelsService, tmp_path: Path):
    model = make_checkpoint(tmp_path / "runs" / "broken", "llama")
    service.register(model.folder, role="asm")
    (model.folder / "model.safetensors").unlink()
    with pytest.raises(ConversionError):
        service.convert("broken")
    assert "gguf" not in service.info("broken")["formats"]
    assert not list(model.folder.glob("*.gguf"))
    assert service.studio_data("broken") == {}
