"""Unit tests for opaque keyset-pagination cursors."""

from __future__ import annotations

import base64

import pytest

from chargeplane.api.pagination import decode_cursor, encode_cursor
from chargeplane.errors import InvalidRequest


def b64(text: str) -> str:
    """``text`` encoded the way cursors are (URL-safe base64, no padding)."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def assert_rejected(cursor: str) -> None:
    with pytest.raises(InvalidRequest) as excinfo:
        decode_cursor(cursor)
    assert excinfo.value.status == 400
    assert [f["field"] for f in excinfo.value.fields] == ["cursor"]
    assert excinfo.value.fields[0]["code"] == "invalid_cursor"


@pytest.mark.parametrize("last_id", [0, 1, 42, 999_999, 2**31 - 1])
def test_cursor_round_trips(last_id: int) -> None:
    assert decode_cursor(encode_cursor(last_id)) == last_id


def test_no_cursor_means_the_first_page() -> None:
    assert decode_cursor(None) is None


def test_cursor_is_url_safe_without_padding() -> None:
    cursor = encode_cursor(7)
    assert cursor == "eyJhZnRlciI6IDd9"
    assert not set(cursor) - set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_cursors_differ_per_id() -> None:
    assert encode_cursor(1) != encode_cursor(2)


def test_cursor_with_its_padding_still_decodes() -> None:
    cursor = encode_cursor(42)
    assert decode_cursor(cursor + "=" * (-len(cursor) % 4)) == 42


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("", id="empty"),
        pytest.param("a", id="one-char"),
        pytest.param("!!!!", id="not-base64"),
        pytest.param(b64("not json"), id="not-json"),
        pytest.param(base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(), id="not-utf8"),
        pytest.param(b64("[1, 2]"), id="json-list"),
        pytest.param(b64('"after"'), id="json-string"),
        pytest.param(b64("7"), id="json-number"),
        pytest.param(b64("null"), id="json-null"),
        pytest.param(b64('{"before": 7}'), id="no-after"),
        pytest.param(b64('{"after": "7"}'), id="after-string"),
        pytest.param(b64('{"after": 7.0}'), id="after-float"),
        pytest.param(b64('{"after": null}'), id="after-null"),
        pytest.param(b64('{"after": 1e400}'), id="after-infinite"),
    ],
)
def test_malformed_cursor_is_an_invalid_request_on_the_cursor_field(cursor: str) -> None:
    assert_rejected(cursor)


def test_boolean_after_is_rejected() -> None:
    assert_rejected(b64('{"after": true}'))


def test_deeply_nested_json_is_rejected() -> None:
    assert_rejected(b64("[" * 2000))


def test_a_cursor_past_any_id_we_issue_is_refused() -> None:
    assert_rejected(encode_cursor(2**31))
