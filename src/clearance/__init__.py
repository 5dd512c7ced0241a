"""Clearance: the public-release approval platform for generative AI models.

The Python API a notebook uses is re-exported here lazily so that ``import clearance``
stays cheap (the CLI's ``--help`` must start in well under a second).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from clearance.api import assess, load_banks, rejudge, report, resume

__all__ = ["__version__", "assess", "load_banks", "rejudge", "report", "resume"]


def __getattr__(name: str) -> Any:
    if name in {"assess", "load_banks", "rejudge", "report", "resume"}:
        from clearance import api

        return getattr(api, name)
    raise AttributeError(name)
