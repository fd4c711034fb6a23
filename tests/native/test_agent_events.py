"""The agents.jsonl scanner (native/src/agent_events.cpp): which lines it vouches for.

A line it takes (status 0/1) must read as msgspec reads it; anything it is not sure of must
be status 2 so Python decides. The aggregation itself is compared with the Python path in
tests/plugins/agents/test_bulk_load.py.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studio import native

EVENT, IGNORED, UNSURE = 0, 1, 2
TS = '"timestamp":"2025-06-01T09:00:00"'


def _status(line: bytes) -> int:
    rows = native.scan_agent_events(line + b"\n")
    assert len(rows["status"]) == 1
    return int(rows["status"][0])


@pytest.mark.parametrize(("line", "status"), [
    (b'{"agent":"a","event":"start",' + TS.encode() + b"}", EVENT),
    (b' {"event" : "start" , ' + TS.encode() + b' , "agent" : "a" } \r', EVENT),
    (b'{"agent":"a","event":"failure",' + TS.encode() + b',"error":"a\\"b\\n\\u00e9"}', EVENT),
    (b'{"agent":"a","event":"start",' + TS.encode() + b',"x":[1,{"y":[true,null,-0.5e3]}]}',
     EVENT),
    (b'{"agent":"\xc3\xa9t\xc3\xa9","event":"start",' + TS.encode() + b"}", EVENT),
    (b'{"agent":7,"event":"start"}', IGNORED),
    (b'{"agent":"","event":"start"}', IGNORED),
    (b'{"event":"start"}', IGNORED),
    (b'{"agent":"\\u0061","event":"start",' + TS.encode() + b"}", UNSURE),  # escaped name
    (b'{"agent":["a"],"event":"start"}', UNSURE),
    (b'{"agent":"a","event":"st\\u0061rt",' + TS.encode() + b"}", UNSURE),
    (b'{"agent":"a","event":"start","timestamp":"2025-06-01T09:00:00Z"}', UNSURE),
    (b'{"agent":"a","event":"start","timestamp":"2025-02-29T09:00:00"}', UNSURE),  # no such day
    (b'{"agent":"a","event":"start","timestamp":"2025-06-01 09:00:00"}', UNSURE),
    (b'{"agent":"a","event":"start","timestamp":1748768400}', UNSURE),
    (b'{"agent":"a","event":"start",' + TS.encode() + b',"task_id":"t\\/1"}', UNSURE),
    (b'{"agent":"a","event":"start",' + TS.encode() + b',"pid":1234567890123456}', UNSURE),
    (b'{"agent":"a","event":"start",' + TS.encode() + b',"value":1e400}', UNSURE),
    (b'{"agent":"a","agent":"b","event":"start",' + TS.encode() + b"}", UNSURE),
    (b'{"agent":"a\xff","event":"start",' + TS.encode() + b"}", UNSURE),  # invalid UTF-8
    (b'{"agent":"a","error":"\\ud800","event":"start",' + TS.encode() + b"}", UNSURE),
    (b'{"agent":"a","event":"start",' + TS.encode() + b"} x", UNSURE),
    (b'{"agent":"a","event":"start",' + TS.encode(), UNSURE),
    (b'{"agent":"a","event":"start",' + TS.encode() + b',"n":01}', UNSURE),
    (b"[1, 2]", UNSURE),
])
def test_line_status(line: bytes, status: int) -> None:
    assert _status(line) == status


def test_blank_lines_have_no_row_and_offsets_point_at_each_line() -> None:
    data = b'\n  \r\n\x0b\n{"agent":7}\n{bad\n{"agent":"b","event":"x",' + TS.encode() + b"}"
    rows = native.scan_agent_events(data)
    assert rows["status"].tolist() == [IGNORED, UNSURE, EVENT]
    spans = [data[b:e] for b, e in zip(rows["line_begin"], rows["line_end"], strict=True)]
    assert spans == [b'{"agent":7}', b"{bad", b'{"agent":"b","event":"x",' + TS.encode() + b"}"]
    assert rows["agent_names"] == [b"b"]


@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)),
       st.sampled_from(["seconds", "milliseconds", "microseconds"]))
def test_timestamps_are_microseconds_since_year_one(moment: datetime, spec: str) -> None:
    text = moment.isoformat(timespec=spec)
    line = f'{{"agent":"a","event":"start","timestamp":"{text}"}}\n'.encode()
    rows = native.scan_agent_events(line)
    expected = datetime.fromisoformat(text) - datetime(1, 1, 1)
    assert rows["status"].tolist() == [EVENT]
    assert int(rows["ts_us"][0]) == expected // expected.resolution
