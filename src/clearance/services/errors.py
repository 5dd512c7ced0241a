"""Errors the filing services raise, shared by every interface (a page shows the message next
to the field, the API returns it with a status, the CLI prints it)."""

from __future__ import annotations

from pydantic import ValidationError


class NotFound(LookupError):
    """No such object, or one the actor may not see: the two are deliberately not told apart,
    so guessing ids reveals nothing."""


class InvalidInput(ValueError):
    """Bad input, with one message per field; nothing was changed."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))

    @classmethod
    def from_validation(cls, exc: ValidationError) -> InvalidInput:
        errors: dict[str, str] = {}
        for e in exc.errors():
            field = ".".join(str(p) for p in e["loc"]) or "input"
            msg = str(e["msg"]).removeprefix("Value error, ")
            errors.setdefault(field, msg)
        return cls(errors)


class LoginRefused(PermissionError):
    """Wrong address or password (not told apart), or the account is locked for a while."""


class InvalidToken(PermissionError):
    pass
