"""Chat Completions responses in OpenAI's wire format, for writing cassettes by hand.

No provider is reachable where these tests were written, so the cassettes under
``cassettes/`` are not recordings: ``write_cassettes.py`` writes them from the answers
below, shaped exactly as the API sends them (JSON bodies, SSE chunks, tool calls,
errors). Re-recording against a real endpoint replaces them (see README.md).
"""

from __future__ import annotations

import json
from typing import Any

URL = "https://api.openai.com/v1/chat/completions"
MODEL = "gpt-4o-mini-2024-07-18"
CREATED = 1764633600


def completion(
    content: str | None,
    *,
    finish: str = "stop",
    prompt_tokens: int = 900,
    completion_tokens: int = 40,
    tool_calls: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A 200 answer with one choice."""
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
    if tool_calls:
        message["tool_calls"] = tool_calls
    body = {
        "id": "chatcmpl-handwritten",
        "object": "chat.completion",
        "created": CREATED,
        "model": MODEL,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0},
        },
        "system_fingerprint": "fp_handwritten",
    }
    return _response(200, "OK", json.dumps(body), "application/json")


def reading(understanding: dict[str, Any], **usage: Any) -> dict[str, Any]:
    """A structured-output answer to the read prompt."""
    return completion(json.dumps({"reading": understanding}), **usage)


def wording(reply: str, reasons: list[str], **usage: Any) -> dict[str, Any]:
    """A structured-output answer to the word prompt."""
    return completion(json.dumps({"reply": reply, "reasons": reasons}), **usage)


def tool_call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"call_{name}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }


def tools_chosen(*calls: dict[str, Any]) -> dict[str, Any]:
    """An answer that is only tool calls, as a model sends them (no text)."""
    return completion(None, finish="tool_calls", tool_calls=list(calls))


def streamed(content: str, *, pieces: int = 4, prompt_tokens: int = 900) -> dict[str, Any]:
    """The same answer as server-sent events: a role chunk, content deltas, a finish
    chunk, a usage chunk (``stream_options.include_usage``) and ``[DONE]``."""
    size = max(1, -(-len(content) // pieces))
    deltas = [{"role": "assistant", "content": ""}] + [
        {"content": content[i : i + size]} for i in range(0, len(content), size)
    ]
    chunks = [_chunk(delta, None) for delta in deltas] + [_chunk({}, "stop")]
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": 30,
        "total_tokens": prompt_tokens + 30,
    }
    chunks.append({**_chunk({}, None), "choices": [], "usage": usage})
    events = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
    return _response(200, "OK", events, "text/event-stream; charset=utf-8")


def error(status: int, message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    """An API error as OpenAI sends it."""
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    reason = {429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}
    return _response(status, reason.get(status, "Error"), json.dumps(body), "application/json")


def raw(status: int, body: str, content_type: str = "text/html") -> dict[str, Any]:
    """Anything at all, e.g. a proxy's HTML page where JSON was expected."""
    return _response(status, "OK" if status == 200 else "Error", body, content_type)


def _chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-handwritten",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": MODEL,
        "system_fingerprint": "fp_handwritten",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


def _response(status: int, reason: str, body: str, content_type: str) -> dict[str, Any]:
    return {
        "status": {"code": status, "message": reason},
        "headers": {"content-type": [content_type], "x-request-id": ["req_handwritten"]},
        "body": {"string": body},
    }


def interaction(response: dict[str, Any]) -> dict[str, Any]:
    """One request and its answer; requests are matched by method and URL, in order."""
    return {
        "request": {
            "method": "POST",
            "uri": URL,
            "body": None,
            "headers": {"content-type": ["application/json"]},
        },
        "response": response,
    }
