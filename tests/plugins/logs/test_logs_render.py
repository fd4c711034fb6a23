"""How lines are shown: decoding, tqdm collapsing, escapes, truncation (Qt-free)."""

from __future__ import annotations

from studio.plugins.logs.render import (
    DISPLAY_CAP_BYTES,
    display_width,
    render_bytes,
    render_line,
)


def show(raw: bytes, **kwargs):
    return render_line(raw, len(raw), **kwargs)


def test_plain_line_and_crlf() -> None:
    line = show(b"2025-12-22 INFO ready\r")
    assert line.text == "2025-12-22 INFO ready"
    assert (line.start, line.length, line.truncated, line.refreshes) == (0, 21, False, 0)


def test_invalid_utf8_becomes_replacement_characters() -> None:
    assert show(b"caf\xc3\xa9 \xff\xfe ok").text == "café \ufffd\ufffd ok"


def test_control_bytes_are_escaped_and_tabs_expanded() -> None:
    assert show(b"a\x00b\x1b[31mc\x7f").text == "a\\x00b\\x1b[31mc\\x7f"
    assert show(b"a\tb").text == "a       b"


def test_tqdm_refreshes_show_the_last_state() -> None:
    raw = b"\r  0%|   | 0/252\r  1%|   | 2/252\r  2%|\xe2\x96\x8f  | 4/252 [13:41<14:51:41]"
    line = show(raw)
    assert line.text == "  2%|▏  | 4/252 [13:41<14:51:41]"
    assert line.refreshes == 3
    assert line.start == raw.rindex(b"\r") + 1 and not line.truncated


def test_trailing_refresh_keeps_the_last_non_empty_state() -> None:
    assert show(b"\r10%\r20%\r\r").text == "20%"


def test_utf8_bom_is_hidden_on_the_first_line_only() -> None:
    assert show(b"\xef\xbb\xbfhello", first_line=True).text == "hello"
    assert show(b"\xef\xbb\xbfhello").text == "\ufeffhello"


def test_ten_megabyte_line_is_truncated_at_a_character_boundary() -> None:
    raw = "é".encode() * (5 * 1024 * 1024)  # 10 MB of two-byte characters
    head = raw[: DISPLAY_CAP_BYTES + 1]  # one byte into a character
    line = render_line(head, len(raw), raw[-DISPLAY_CAP_BYTES:])
    assert line.truncated and line.length == len(raw)
    assert line.text == "é" * (DISPLAY_CAP_BYTES // 2)
    assert line.end == DISPLAY_CAP_BYTES


def test_long_progress_line_shows_its_final_state_from_the_tail() -> None:
    states = b"".join(b"\r step %07d/9999999" % i for i in range(400_000))
    tail = states[-DISPLAY_CAP_BYTES:]
    line = render_line(states[:DISPLAY_CAP_BYTES], len(states), tail)
    assert line.text == " step 0399999/9999999"
    assert not line.truncated and line.refreshes > 0


def test_display_width_maps_bytes_to_columns() -> None:
    assert display_width("é\t".encode()) == 8
    assert display_width(b"\x00") == 4
    assert render_bytes(b"x\x01") == "x\\x01"
