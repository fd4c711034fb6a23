"""``studio_register_log_formats``: formats from other plugins, live, guarded per contributor."""

from __future__ import annotations

from logdata import write_lines

from studio.plugins.logs.api import LogFormat, iso_timestamp, logs_service, matching_fraction
from studio.testing import BUILTIN_PLUGINS, make_contributor

VLLM = LogFormat("vllm", "vLLM server", matching_fraction(r"^(INFO|WARNING) \d\d-\d\d "),
                 timestamp=iso_timestamp(), description="vllm serve output")
VLLM_LINES = [f"INFO 05-01 12:00:{i:02d} engine.py:300] Avg prompt throughput: {i} tokens/s"
              for i in range(40)]


def test_a_plugin_adds_a_format_and_it_is_detected(studio_factory, tmp_path) -> None:
    contributor = make_contributor("vllm_logs", "studio_register_log_formats", VLLM,
                                   optional=("logs",))
    studio = studio_factory([("vllm_logs", contributor)], builtins=BUILTIN_PLUGINS)
    service = logs_service(studio)
    assert service.formats.get("vllm").plugin == "vllm_logs"
    assert service.formats.get("hafs-campaign").plugin == "logs"  # built-ins: the same hook
    write_lines(tmp_path / "vllm.log", VLLM_LINES)
    doc = service.open_document(tmp_path / "vllm.log")
    try:
        assert doc.format.id == "vllm"
    finally:
        doc.close()


def test_disabling_the_contributor_withdraws_its_format_live(studio_factory) -> None:
    contributor = make_contributor("vllm_logs", "studio_register_log_formats", VLLM,
                                   optional=("logs",))
    studio = studio_factory([("vllm_logs", contributor)], builtins=BUILTIN_PLUGINS)
    service = logs_service(studio)
    assert "vllm" in service.formats.ids()
    assert studio.disable_plugin("vllm_logs").applied
    assert "vllm" not in service.formats.ids() and "python-logging" in service.formats.ids()
    assert studio.enable_plugin("vllm_logs").applied
    assert service.formats.get("vllm").plugin == "vllm_logs"


def test_a_broken_contributor_is_errored_alone(studio_factory) -> None:
    broken = make_contributor("broken_logs", "studio_register_log_formats", "not a format",
                              optional=("logs",))
    good = make_contributor("vllm_logs", "studio_register_log_formats", VLLM,
                            optional=("logs",))
    studio = studio_factory([("broken_logs", broken), ("vllm_logs", good)],
                            builtins=BUILTIN_PLUGINS)
    formats = logs_service(studio).formats
    record = studio.plugins.records["broken_logs"]
    assert record.state.value == "errored" and "expected a LogFormat" in str(record.error)
    assert studio.plugins.records["logs"].state.value == "active"
    assert {"vllm", "hafs-campaign", "plain"} <= set(formats.ids())


def test_the_hook_is_declared_by_the_logs_plugin(studio) -> None:
    assert "studio_register_log_formats" in studio.plugins.records["logs"].hookspecs
    assert studio.plugins.hook_owners()["studio_register_log_formats"] == "logs"


def test_the_log_files_view_lists_contributed_formats_live(qtbot, studio_factory) -> None:
    from studio.plugins.logs.widgets.files_view import LogFilesView
    from studio.shell.api import ViewContext

    contributor = make_contributor("vllm_logs", "studio_register_log_formats", VLLM,
                                   optional=("logs",))
    studio = studio_factory([("vllm_logs", contributor)], builtins=BUILTIN_PLUGINS)
    view = LogFilesView(ViewContext(studio, None, None, "logs.files"))
    qtbot.addWidget(view)
    assert "vLLM server</b> (vllm, from plugin vllm_logs)" in view.formats.text()
    assert studio.disable_plugin("vllm_logs").applied
    qtbot.waitUntil(lambda: "vLLM" not in view.formats.text())
    assert "hafs campaign" in view.formats.text()
