"""The studio's small JSON files: read leniently typed input strictly, write orjson's layout."""

from __future__ import annotations

import orjson
import pytest

from studio.core import small_json


@pytest.mark.parametrize("data", [
    {"b": 1, "a": {"z": [1, 2.5, None, True], "é": "ünïcode"}},
    {},
    {"empty": [], "nested": {}},
])
def test_output_is_byte_for_byte_what_orjson_wrote(data):
    # Files written by earlier versions (with orjson) and by this one are the same bytes.
    assert small_json.dumps(data, indent=True, sort_keys=True) == orjson.dumps(
        data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    assert small_json.dumps(data) == orjson.dumps(data)
    assert small_json.loads(orjson.dumps(data)) == data


def test_bad_input_is_a_decode_error():
    with pytest.raises(small_json.JSONDecodeError):
        small_json.loads(b'{"a": ')
    with pytest.raises(small_json.JSONDecodeError, match="not UTF-8"):
        small_json.loads(b'{"a": "\xff"}')


def test_nan_is_refused_rather_than_written_as_invalid_json():
    with pytest.raises(ValueError):
        small_json.dumps({"x": float("nan")})
