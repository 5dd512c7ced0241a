"""Driving the workspace as a browser does, for tests: log in through the real /login form
(its CSRF cookie and field included), then post forms with the page's CSRF token."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


class Browser:
    """In-process against an app (TestClient), or over real HTTP against a served base URL."""

    def __init__(self, target: FastAPI | str, *, lang: str = "en") -> None:
        self.client: httpx.Client = (httpx.Client(base_url=target, follow_redirects=False, timeout=30)
                                     if isinstance(target, str) else TestClient(target, follow_redirects=False))
        self.client.headers["Accept-Language"] = lang
        self.csrf = ""

    def login(self, email: str, password: str) -> Any:
        page = self.client.get("/login")
        resp = self.client.post("/login", data={"email": email, "password": password,
                                                "csrf_token": csrf_of(page.text), "next": "/filings"})
        if resp.status_code == 303:
            self.csrf = csrf_of(self.client.get("/filings").text)
        return resp

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, **kw)

    def post(self, url: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        return self.client.post(url, data={"csrf_token": self.csrf, **(data or {})}, **kw)

    def close(self) -> None:
        self.client.close()
