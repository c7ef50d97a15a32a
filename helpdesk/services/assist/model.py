"""A language model behind an OpenAI-compatible chat API: llama.cpp's server, Ollama, LM Studio
(all on the shop's own machine) or a cloud one, if the owner points it there. Streamed, with
timeouts, and stoppable between any two pieces: a model that is down, slow or cancelled leaves
the caller exactly where it was (an Unavailable in words, or a Cancelled)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Callable, Iterator

import httpx

from helpdesk.services.netpolicy import TargetRefused, resolve as resolve_target

from helpdesk.services.errors import Unavailable

CONNECT_SECONDS = 5.0
QUIET_SECONDS = 60.0  # the longest a model may go without sending anything
MAX_TOKENS = 700


class Cancelled(Exception):
    """The agent stopped the request."""


@dataclass(frozen=True)
class ModelConfig:
    base_url: str  # http://127.0.0.1:8080/v1
    model: str
    key: str = ""

    @property
    def host(self) -> str:
        return httpx.URL(self.base_url).host or self.base_url


def _why(exc: Exception, config: ModelConfig) -> str:
    if isinstance(exc, httpx.ConnectError):
        return f"the model at {config.host} cannot be reached (is it running?)"
    if isinstance(exc, httpx.TimeoutException):
        return f"the model at {config.host} took too long to answer"
    if isinstance(exc, httpx.HTTPStatusError):
        code = exc.response.status_code
        hint = " (check the key)" if code in (401, 403) else " (check the model's name)" if code == 404 else ""
        return f"the model at {config.host} answered {code}{hint}"
    return f"the model at {config.host} answered something unreadable ({exc.__class__.__name__})"


def stream_chat(config: ModelConfig, messages: list[dict[str, str]], stop: threading.Event | None = None,
                max_tokens: int = MAX_TOKENS, transport: httpx.BaseTransport | None = None) -> Iterator[str]:
    """The model's answer, piece by piece. Raises Unavailable (in words) or Cancelled."""
    headers = {"Authorization": f"Bearer {config.key}"} if config.key else {}
    body = {"model": config.model, "messages": messages, "stream": True, "temperature": 0.3,
            "max_tokens": max_tokens}
    timeout = httpx.Timeout(QUIET_SECONDS, connect=CONNECT_SECONDS)
    if transport is None:  # a model on this PC or the LAN is fine; a cloud metadata address never is
        try:
            resolve_target(config.base_url, allow_local=True)
        except TargetRefused as exc:
            raise Unavailable(f"the model's address is refused: {exc}") from None
    try:
        with httpx.Client(timeout=timeout, transport=transport, follow_redirects=False) as client:
            with client.stream("POST", config.base_url.rstrip("/") + "/chat/completions", json=body,
                               headers=headers) as response:
                response.raise_for_status()
                for line in response.iter_lines():
                    if stop is not None and stop.is_set():
                        raise Cancelled()
                    piece = _piece(line)
                    if piece is None:
                        break
                    if piece:
                        yield piece
    except (Cancelled, Unavailable):
        raise
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        raise Unavailable(_why(exc, config)) from None


def _piece(line: str) -> str | None:
    """One server-sent line: its text ('' for none), or None at the end."""
    line = line.strip()
    if not line.startswith("data:"):
        return ""
    data = line[5:].strip()
    if data == "[DONE]":
        return None
    chunk = json.loads(data)
    if chunk.get("error"):
        raise ValueError(str(chunk["error"]))
    choices = chunk.get("choices") or []
    if not choices:
        return ""
    delta = choices[0].get("delta") or choices[0].get("message") or {}
    return delta.get("content") or ""


def complete(config: ModelConfig, messages: list[dict[str, str]], stop: threading.Event | None = None,
             max_tokens: int = MAX_TOKENS, on_piece: Callable[[str], None] | None = None) -> str:
    """The whole answer (each piece also given to `on_piece` as it comes)."""
    pieces = []
    for piece in stream_chat(config, messages, stop, max_tokens):
        pieces.append(piece)
        if on_piece is not None:
            on_piece(piece)
    return "".join(pieces).strip()
