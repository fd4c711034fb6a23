"""The deploy pipeline and manager: plans, conversion/quantization, records, rollbacks."""

from __future__ import annotations

import shutil

import pytest
from deploy_helpers import MODEL_ID

from studio.core.jobs import JobCancelled, JobContext
from studio.plugins.deploy.api import deploy_manager
from studio.plugins.deploy.backend import (
    DeployError,
    DeployOptions,
    GenerationParams,
    GenerationRequest,
)
from studio.plugins.deploy.backends.llama_inproc import LlamaCppBackend
from studio.plugins.models.api import ModelsService
from studio.testing import BUILTIN_PLUGINS


def test_plan_for_a_checkpoint_converts_then_quantizes(manager):
    plan = manager.plan(MODEL_ID, "llama.cpp", "Q4_K_M")
    assert [step for step, _ in plan.steps] == ["convert", "quantize", "deploy"]
    assert plan.convert_to == "f16" and plan.reuse is None
    assert plan.source.kind == "hf" and plan.source.model_id == MODEL_ID
    assert plan.estimated_bytes and plan.estimated_bytes < plan.source.parameter_count * 2
    # Q8_0 and F16 come straight out of the built-in converter.
    assert [s for s, _ in manager.plan(MODEL_ID, "llama.cpp", "Q8_0").steps] == [
        "convert", "deploy"]
    assert [s for s, _ in manager.plan(MODEL_ID, "llama.cpp", None).steps] == [
        "convert", "deploy"]
    ct2 = manager.plan(MODEL_ID, "ct2", "int8")
    assert ct2.artifact_kind == "hf" and [s for s, _ in ct2.steps] == ["convert", "deploy"]


def test_deploy_converts_quantizes_reuses_and_leaves_registry_alone(manager, context):
    deployment = manager.deploy(JobContext(), MODEL_ID, "llama.cpp",
                                DeployOptions(quant="Q4_K_M"))
    assert deployment.quant == "Q4_K_M" and deployment.artifact.endswith("-Q4_K_M.gguf")
    assert deployment.template.family == "chatml"
    entry = ModelsService(context).info(MODEL_ID)
    assert "gguf" in entry["formats"]  # the conversion is recorded by the Models plugin
    assert entry["deployed_backends"] == []  # in-process is not a hafs deployment
    # Both produced GGUFs are now known: a second plan reuses them.
    plan = manager.plan(MODEL_ID, "llama.cpp", "Q4_K_M")
    assert [s for s, _ in plan.steps] == ["gguf", "deploy"]
    assert plan.reuse.type == "Q4_K_M"
    plan = manager.plan(MODEL_ID, "llama.cpp", "Q5_K_M")
    assert [s for s, _ in plan.steps] == ["gguf", "quantize", "deploy"]
    assert plan.reuse.type == "F16"


def test_deploy_a_gguf_path_and_refuse_requantizing_a_quantized_one(manager, tiny_gguf,
                                                                    tmp_path):
    gguf = tmp_path / "loose.gguf"
    shutil.copy(tiny_gguf, gguf)
    deployment = manager.deploy(JobContext(), str(gguf), "llama.cpp", DeployOptions())
    assert deployment.model_id is None and deployment.artifact == str(gguf)
    assert deployment.quant == "F16"
    q8 = manager.deploy(JobContext(), str(gguf), "llama.cpp", DeployOptions(quant="Q8_0"))
    with pytest.raises(DeployError, match=r"already Q8_0; llama.cpp quantizes only from"):
        manager.plan(q8.artifact, "llama.cpp", "Q4_K_M")
    with pytest.raises(DeployError, match=r"CTranslate2 converts a Hugging Face checkpoint"):
        manager.plan(str(gguf), "ct2", "int8")


def test_bad_model_arguments_fail_clearly(manager, tmp_path):
    with pytest.raises(DeployError, match=r"'nope' is neither a registered model nor"):
        manager.plan("nope", "llama.cpp")
    with pytest.raises(DeployError, match=r"unknown quantization type 'Q9'"):
        manager.plan(MODEL_ID, "llama.cpp", "Q9")
    with pytest.raises(DeployError, match=r"no deploy backend 'vllm'"):
        manager.plan(MODEL_ID, "vllm")
    folder = tmp_path / "empty"
    folder.mkdir()
    with pytest.raises(DeployError, match=r"neither a Hugging Face model folder"):
        manager.plan(str(folder), "llama.cpp")


def test_model_without_a_local_copy(manager, context):
    models = ModelsService(context)
    models.registry.edit(MODEL_ID, lambda e: e.update(locations={"windows": "D:/x"},
                                                      primary_location="windows"))
    with pytest.raises(DeployError, match=r"no copy on this machine .*pull it first"):
        manager.plan(MODEL_ID, "llama.cpp")


def test_cancel_during_conversion_records_nothing(manager, context):
    class CancelOnConvert(JobContext):
        def report(self, fraction=None, message=None) -> None:
            super().report(fraction, message)
            if fraction is not None and fraction > 0.05:
                self.cancel()

    with pytest.raises(JobCancelled):
        manager.deploy(CancelOnConvert(), MODEL_ID, "llama.cpp", DeployOptions(quant="F16"))
    assert manager.deployments() == []
    assert not list((context.parent / "models").rglob("*.gguf"))
    assert ModelsService(context).info(MODEL_ID)["formats"] == ["safetensors"]


def test_deploy_as_a_job_and_remove(studio, manager):
    from studio.plugins.deploy.api import DeploymentsChanged

    seen = []
    studio.bus.subscribe(DeploymentsChanged.topic, seen.append, thread="publisher")
    job = manager.submit_deploy(MODEL_ID, "llama.cpp", DeployOptions())
    deployment = job.future.result(timeout=120)
    assert job.state.value == "succeeded" and job.result == deployment
    assert [(e.deployment_id, e.change) for e in seen] == [(deployment.id, "added")]
    manager.stop(deployment.id)
    manager.remove(deployment.id)
    assert manager.deployments() == []
    assert [e.change for e in seen] == ["added", "stopped", "removed"]


class AltLlamaBackend(LlamaCppBackend):
    """A third-party backend as a plugin would write one (here: llama.cpp under another id)."""

    id = "llama-alt"
    name = "llama.cpp (alternative)"


def test_plugins_add_backends_through_the_hook(studio_factory, context):
    from studio.testing import make_plugin

    extra = make_plugin("extra_backends", requires=("deploy",),
                        studio_register_deploy_backends=lambda register: register(
                            AltLlamaBackend()))
    clash = make_plugin("clashing", requires=("deploy",),
                        studio_register_deploy_backends=lambda register: register(
                            LlamaCppBackend()))
    studio = studio_factory([("extra_backends", extra), ("clashing", clash)],
                            builtins=BUILTIN_PLUGINS, context=context)
    manager = deploy_manager(studio)
    assert manager.backends.ids() == ["llama.cpp", "server", "ollama", "ct2", "node",
                                     "llama-alt"]
    assert manager.backend("llama-alt").plugin == "extra_backends"
    assert studio.plugins.records["clashing"].state.value == "errored"  # duplicate id
    deployment = manager.deploy(JobContext(), MODEL_ID, "llama-alt", DeployOptions())
    assert manager.generate(deployment, GenerationRequest.text("hello"),
                            GenerationParams(max_tokens=3)).run().stats.completion_tokens
    with pytest.raises(DeployError, match=r"no deploy backend 'vllm' \(known: llama.cpp, "):
        manager.backend("vllm")
    # Disabling the contributing plugin takes its backend away, live.
    studio.disable_plugin("extra_backends")
    assert "llama-alt" not in manager.backends.ids()
