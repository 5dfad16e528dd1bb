"""A local OpenAI-compatible endpoint that stands in for a model where none is reachable.

For benchmarks and for trying ``tactful chat`` with the LLM path switched on; it is no
part of tactful. It answers ``POST /v1/chat/completions``:

- from a cassette, when given one: its answers in order (tests/llm/cassettes/…);
- otherwise by echo: a reading is the offline reader's reading of the message (or what
  ``readings`` says for it); offered tools, it ranks for that reading's words; a
  wording repeats the template reply and reasons it was sent. The agent's own calls
  (prompt, schema, state) are real; only the answers are stand-ins.

Token counts in its answers are estimates at 4 characters a token (said so in every
answer's ``system_fingerprint``), not a provider's count.

    python -m bench.llm.endpoint --port 8765 [--cassette path.yaml]
    TACTFUL_LLM_MODEL=echo TACTFUL_LLM_BASE_URL=http://127.0.0.1:8765/v1 tactful chat 17850
"""

from __future__ import annotations

import argparse
import contextlib
import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from agent.brain.base import ReadContext
from agent.brain.offline.reader import OfflineReader
from agent.embedding import load_default_embedder

CHARS_PER_TOKEN = 4
FINGERPRINT = "local-stand-in: tokens estimated at 4 characters each"


class StandInEndpoint:
    """Serves chat completions on ``127.0.0.1:port`` (0 picks a free port) in a thread."""

    def __init__(
        self,
        port: int = 0,
        cassette: Path | None = None,
        readings: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self._reader: OfflineReader | None = None
        self._readings = readings or {}
        self._replies: deque[dict[str, Any]] = deque()
        if cassette is not None:
            data = yaml.safe_load(cassette.read_text(encoding="utf-8"))
            self._replies.extend(i["response"] for i in data["interactions"])
        self.requests: list[dict[str, Any]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> StandInEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, body: dict[str, Any]) -> tuple[int, str, str]:
        """Status, content type and body for one request."""
        self.requests.append(body)
        if self._replies:
            reply = self._replies.popleft()
            content_type = reply["headers"]["content-type"][0]
            return reply["status"]["code"], content_type, reply["body"]["string"]
        payload = json.loads(body["messages"][-1]["content"])
        message: dict[str, Any] = {"role": "assistant"}
        if body.get("tools"):
            message["tool_calls"] = self._tool_calls(payload)
            content = json.dumps(message["tool_calls"])
        elif "message" in payload:
            reading = self._readings.get(payload["message"])
            if reading is None:
                reading = self._read(payload).model_dump(mode="json")
            content = json.dumps({"reading": reading})
        else:
            items = payload["items"]
            content = json.dumps(
                {"reply": payload["reply"], "reasons": [i["reason"] for i in items]}
            )
        sent = sum(len(str(m.get("content") or "")) for m in body["messages"])
        sent += len(json.dumps(body.get("response_format") or {}))
        usage = {
            "prompt_tokens": sent // CHARS_PER_TOKEN + 1,
            "completion_tokens": len(content) // CHARS_PER_TOKEN + 1,
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        answer = {
            "id": f"chatcmpl-standin-{len(self.requests)}",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "stand-in"),
            "system_fingerprint": FINGERPRINT,
            "choices": [
                {
                    "index": 0,
                    "message": {"content": None, **message}
                    if "tool_calls" in message
                    else {**message, "content": content},
                    "finish_reason": "tool_calls" if "tool_calls" in message else "stop",
                }
            ],
            "usage": usage,
        }
        return 200, "application/json", json.dumps(answer)

    def _tool_calls(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        """Rank for the offline reading's words: what the offline brain would show."""
        query = self._read(payload).model_dump().get("query")
        arguments = {"query": query} if query else {}
        return [
            {
                "id": "call_recommend",
                "type": "function",
                "function": {"name": "recommend", "arguments": json.dumps(arguments)},
            }
        ]

    def _read(self, payload: dict[str, Any]) -> Any:
        if self._reader is None:
            self._reader = OfflineReader(load_default_embedder())
        return self._reader.read(payload["message"], ReadContext(**payload["state"]))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                status, content_type, text = endpoint.answer(body)
                data = text.encode("utf-8")
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: object) -> None:
                pass  # quiet: the benchmark prints what it measured

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--cassette", type=Path, help="answer from this cassette first")
    args = parser.parse_args()
    with StandInEndpoint(args.port, args.cassette) as endpoint:
        print(f"Stand-in OpenAI-compatible endpoint at {endpoint.base_url} (Ctrl-C stops it)")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
