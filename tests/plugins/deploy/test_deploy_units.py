"""Timings, text streaming, chat templates, generation parameters and the deployments store."""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from studio.plugins.deploy.backend import GenerationParams, GenerationRequest
from studio.plugins.deploy.store import (
    Deployment,
    DeploymentStore,
    StoreError,
    new_deployment_id,
    validate_deployment_id,
)
from studio.plugins.deploy.templates import ChatTemplate, TemplateError
from studio.plugins.deploy.textstream import IncrementalDecode, StopStrings, Utf8Pieces
from studio.plugins.deploy.timings import GenerationTimer


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_timer_measures_ttft_and_decode_rate_without_the_prompt():
    clock = FakeClock()
    timer = GenerationTimer(clock)
    timer.prompt_tokens = 12
    clock.now = 100.5  # prompt processing
    timer.token()
    for _ in range(10):
        clock.now += 0.1
        timer.token()
    clock.now += 0.05
    stats = timer.finish("length")
    assert stats.time_to_first_token_ms == pytest.approx(500)
    assert stats.completion_tokens == 11 and stats.prompt_tokens == 12
    assert stats.tokens_per_second == pytest.approx(10 / 1.0)
    assert stats.total_s == pytest.approx(1.55) and stats.measured_by == "client"
    assert stats.to_dict()["time_to_first_token_ms"] == pytest.approx(500)
    assert stats.summary() == "11 tokens · 10.0 tok/s · TTFT 500 ms"


def test_timer_prefers_the_servers_own_eval_figures():
    timer = GenerationTimer(FakeClock())
    timer.token()
    timer.server_eval(40, 0.5, prompt_tokens=7)
    stats = timer.finish()
    assert (stats.completion_tokens, stats.tokens_per_second, stats.prompt_tokens,
            stats.measured_by) == (40, 80.0, 7, "server")
    assert GenerationTimer(FakeClock()).finish().tokens_per_second is None  # nothing came


def test_stop_strings_hold_back_possible_prefixes():
    stops = StopStrings(["<|im_end|>", "###"])
    assert stops.feed("Hello <|im") == ("Hello ", False)
    assert stops.feed("_e") == ("", False)
    assert stops.feed("xtra") == ("<|im_extra", False)
    assert stops.feed(" done #") == (" done ", False)
    assert stops.feed("## tail") == ("", True)
    assert StopStrings([]).feed("anything") == ("anything", False)


@given(st.text(max_size=40), st.integers(1, 6))
def test_stop_strings_emit_exactly_the_text_before_the_first_stop(text, chunk):
    stop = "END"
    stops = StopStrings([stop])
    emitted, stopped = "", False
    for start in range(0, len(text + stop + "tail"), chunk):
        piece, stopped = stops.feed((text + stop + "tail")[start:start + chunk])
        emitted += piece
        if stopped:
            break
    assert stopped and emitted == (text + stop)[:(text + stop).index(stop)]


def test_utf8_split_over_tokens_and_incremental_decode():
    utf8 = Utf8Pieces()
    data = "naïve ✓".encode()
    assert "".join(utf8.feed(data[i:i + 1]) for i in range(len(data))) == "naïve ✓"

    vocabulary = {1: "▁hello", 2: "▁wor", 3: "ld", 4: b"\xe2", 5: b"\x9c\x93"}

    def decode(ids):
        raw = b"".join(v if isinstance(v, bytes) else v.replace("▁", " ").encode()
                       for v in (vocabulary[i] for i in ids))
        return raw.decode("utf-8", "replace")

    stream = IncrementalDecode(decode)
    pieces = [stream.step(i) for i in (1, 2, 3, 4, 5)]
    assert pieces == [" hello", " wor", "ld", "", "✓"]
    assert stream.flush() == ""


QWEN = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + "
        "message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
LLAMA2 = ("{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}"
          "{{ '[INST] ' + m['content'] + ' [/INST]' }}{% else %}{{ m['content'] + eos_token }}"
          "{% endif %}{% endfor %}")


def test_chat_templates_render_and_map_to_ollama():
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    qwen = ChatTemplate(QWEN, "", "<|im_end|>", False, "qwen.gguf")
    assert qwen.render(messages) == ("<|im_start|>system\nBe brief.<|im_end|>\n"
                                     "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    assert qwen.family == "chatml" and qwen.ollama().stop == ("<|im_end|>", "<|im_start|>")
    llama2 = ChatTemplate(LLAMA2, "<s>", "</s>", True)
    text = llama2.render([{"role": "user", "content": "Hi"}])
    assert text == "<s>[INST] Hi [/INST]" and not llama2.needs_bos(text)
    assert ChatTemplate(None, "<s>", "", True).needs_bos("plain")
    assert llama2.family == "mistral"
    assert ChatTemplate(None).render(messages) == "Be brief.\nHi\n"
    assert ChatTemplate(None).ollama().template == "{{ .Prompt }}"
    assert ChatTemplate("{{ messages[0].content }}").family == "unknown"
    assert ChatTemplate.from_dict(qwen.to_dict()) == qwen


def test_template_errors_name_their_origin():
    broken = ChatTemplate("{% for m in messages %}", origin="/models/x.gguf")
    with pytest.raises(TemplateError, match=r"/models/x.gguf: chat template failed"):
        broken.render([{"role": "user", "content": "x"}])
    refusing = ChatTemplate("{{ raise_exception('roles must alternate') }}")
    with pytest.raises(TemplateError, match=r"roles must alternate"):
        refusing.render([{"role": "user", "content": "x"}])
    sandboxed = ChatTemplate("{{ ''.__class__.__mro__ }}")
    with pytest.raises(TemplateError):
        sandboxed.render([])


def test_generation_params_and_requests_are_validated():
    assert GenerationParams(temperature=0).greedy
    with pytest.raises(ValueError, match=r"top_p=0.0: must be in"):
        GenerationParams(top_p=0.0)
    with pytest.raises(ValueError, match=r"max_tokens=0"):
        GenerationParams(max_tokens=0)
    with pytest.raises(ValueError, match=r"seed=-1"):
        GenerationParams(seed=-1)
    with pytest.raises(ValueError, match=r"either messages or a prompt"):
        GenerationRequest()
    chat = GenerationRequest.chat([{"role": "user", "content": "x", "extra": 1}])
    assert chat.messages == ({"role": "user", "content": "x"},)


def _deployment(deployment_id: str = "llama.cpp-m-abc123") -> Deployment:
    return Deployment(deployment_id, "llama.cpp", "m", "/x/m.gguf", "gguf", "in-process",
                      quant="Q8_0", created_at=1.5e9,
                      template=ChatTemplate(QWEN, eos_token="<|im_end|>"))


def test_store_round_trip_and_lenient_reading(tmp_path):
    store = DeploymentStore(tmp_path)
    store.add(_deployment())
    with pytest.raises(StoreError, match=r"already exists"):
        store.add(_deployment())
    [loaded] = store.load()
    assert loaded == _deployment()
    raw = orjson.loads(store.path.read_bytes())
    raw["deployments"].append({"id": "../../etc", "backend": "x", "artifact": "y"})
    raw["deployments"].append({"backend": "no id"})
    store.path.write_bytes(orjson.dumps(raw))
    assert [d.id for d in store.load()] == ["llama.cpp-m-abc123"]
    assert len(store.problems) == 2 and "deployments[1] skipped" in store.problems[0]
    assert store.remove("llama.cpp-m-abc123") and not store.remove("llama.cpp-m-abc123")


def test_damaged_store_is_never_overwritten(tmp_path):
    store = DeploymentStore(tmp_path)
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_text('{"deployments": [')
    with pytest.raises(StoreError, match=r"cannot read deployments"):
        store.load()
    with pytest.raises(StoreError, match=r"damaged .*not overwriting it"):
        store.add(_deployment())
    assert store.path.read_text() == '{"deployments": ['
    assert (tmp_path / "deployments.json.bak").read_text() == '{"deployments": ['


def test_deployment_ids_are_safe():
    assert validate_deployment_id(new_deployment_id("llama.cpp", "Oracle Model/1"))
    assert new_deployment_id("ollama", "A b").startswith("ollama-a-b-")
    for bad in ("../x", "x/y", "", "A", "a" * 97, "a..b"):
        with pytest.raises(ValueError, match=r"invalid deployment id"):
            validate_deployment_id(bad)
    assert json.loads(json.dumps(_deployment().to_dict()))["template"]["source"] == QWEN
