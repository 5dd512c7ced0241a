from __future__ import annotations

import pytest

from clearance.domain.filings.credit_code import check_character, validate


@pytest.mark.parametrize("code", ["914403001922038216", "91110000802100433B", "91310000717854505W"])
def test_published_codes_validate(code: str) -> None:
    assert validate(code) is None
    assert validate(code.lower()) is None


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91440300192203821", "18 characters"),
        ("914403001922038217", "should be 6"),
        ("91440300192203821I", "not allowed"),
        ("9144ABCD1922038216", "administrative division"),
    ],
)
def test_invalid_codes_say_what_is_wrong(code: str, message: str) -> None:
    err = validate(code)
    assert err is not None and message in err


def test_check_character_is_in_the_alphabet() -> None:
    assert check_character("91110108MA01ABCD1") == "E"
