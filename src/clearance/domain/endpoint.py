"""Settings of a model endpoint, as data. Secrets are never part of it: the API key is read at
call time from the environment variable named here, so plans and reports can be stored and
shared without leaking credentials."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

_SECRET_HEADER_WORDS = ("authorization", "key", "token", "secret", "cookie", "password")


class EndpointConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    adapter: str = "openai"
    base_url: str = Field(min_length=1)
    model: str = Field(min_length=1)
    api_key_env: str | None = None
    temperature: float | None = Field(default=0.0, ge=0.0, le=2.0)
    max_tokens: int | None = Field(default=512, ge=1, le=1_000_000)
    system_prompt: str | None = None
    extra_headers: dict[str, str] = Field(default_factory=dict)
    verify_tls: bool = True
    ca_file: str | None = None
    timeout_s: float = Field(default=60.0, gt=0)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not (v.startswith("http://") or v.startswith("https://")):
            raise ValueError(
                f"base_url {v!r} must start with http:// or https:// (e.g. http://127.0.0.1:8000/v1)"
            )
        return v.rstrip("/")

    def public(self) -> dict[str, Any]:
        """Settings safe to store in a report: header values that look secret are redacted."""
        data = self.model_dump(mode="json")
        data["extra_headers"] = {
            k: ("<redacted>" if any(w in k.lower() for w in _SECRET_HEADER_WORDS) else v)
            for k, v in self.extra_headers.items()
        }
        return data
