"""Filing and launch numbers in the published formats (../shared/regulation.md section 8).

- Filing (备案号): ``{Province}-{ModelName}-{YYYYMMDD}[NNNN]``: 2023 numbers end in the 8-digit
  date, later ones add a 4-digit sequence (``Beijing-DeepseekChat-202404280016``).
- Registration (上线编号): contains ``YYYYMMDD`` + ``S`` + digits. No complete published example
  is known, so anything around that core is accepted, and a leading ``{Province}-`` is used for
  the province when present.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from clearance.domain.registry.provinces import Province, by_prefix

_FILING = re.compile(r"^(?P<prefix>[A-Za-z]+)-(?P<model>[A-Za-z0-9][A-Za-z0-9._+\-]*?)-(?P<date>\d{8})(?P<seq>\d{4})?$")
_REGISTRATION = re.compile(r"(?P<date>\d{8})S(?P<seq>\d+)")
_LEADING_PREFIX = re.compile(r"^(?P<prefix>[A-Za-z]+)-")


class NumberError(ValueError):
    """A number that does not follow the published format; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class ParsedNumber:
    kind: str                 # "filing" or "registration"
    province: Province | None  # None: prefix absent or not a known jurisdiction
    prefix: str | None
    model_code: str | None    # the pinyin/latin model part of a filing number
    issued_on: date
    sequence: int | None


def _date(digits: str, number: str) -> date:
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise NumberError(f"{number!r}: {digits} is not a calendar date (YYYYMMDD)") from None


def parse_filing(number: str) -> ParsedNumber:
    m = _FILING.match(number.strip())
    if m is None:
        raise NumberError(f"{number!r} is not a filing number: expected Province-ModelName-YYYYMMDD[NNNN], "
                          "e.g. Beijing-DeepseekChat-202404280016")
    province = by_prefix(m["prefix"])
    if province is None:
        raise NumberError(f"{number!r}: unknown province prefix {m['prefix']!r} (e.g. Beijing, Shanghai, "
                          "Guangdong, ZhongYangQiYe for central state-owned enterprises)")
    return ParsedNumber("filing", province, m["prefix"], m["model"], _date(m["date"], number),
                        int(m["seq"]) if m["seq"] else None)


def parse_registration(number: str) -> ParsedNumber:
    s = number.strip()
    m = _REGISTRATION.search(s)
    if m is None:
        raise NumberError(f"{number!r} is not a launch number: expected YYYYMMDD + 'S' + digits, e.g. 20240315S0012")
    lead = _LEADING_PREFIX.match(s)
    province = by_prefix(lead["prefix"]) if lead else None
    return ParsedNumber("registration", province, lead["prefix"] if lead else None, None,
                        _date(m["date"], number), int(m["seq"]))


def parse(number: str, kind: str | None = None) -> ParsedNumber:
    """Parse a number of the given kind, or classify it the way the published-list scrapers do:
    ``\\d{8}S\\d+`` means a launch number (已登记), anything else must be a filing number."""
    if kind == "filing":
        return parse_filing(number)
    if kind == "registration":
        return parse_registration(number)
    if _REGISTRATION.search(number):
        return parse_registration(number)
    return parse_filing(number)


def guess_kind(number: str) -> str:
    return "registration" if _REGISTRATION.search(number) else "filing"


def format_filing_number(province: Province, model_code: str, issued_on: date, sequence: int | None) -> str:
    """The number the filing service issues on approval (2024+ format with a 4-digit sequence)."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+\-]*", model_code):
        raise NumberError(f"model code {model_code!r}: latin letters and digits only (pinyin of the model name)")
    tail = f"{sequence:04d}" if sequence is not None else ""
    if sequence is not None and not 0 <= sequence <= 9999:
        raise NumberError(f"sequence {sequence} does not fit 4 digits")
    return f"{province.prefix}-{model_code}-{issued_on:%Y%m%d}{tail}"
