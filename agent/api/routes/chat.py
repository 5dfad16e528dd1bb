"""``POST /v1/chat`` (one reply) and ``POST /v1/chat/stream`` (the same, as Server-Sent
Events: ``delta`` events carry the text in pieces, then ``done`` carries the whole reply
with its suggestions, reasons and state)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse

from agent.api.deps import AgentDep, ShopperSide
from agent.api.others import public_reply
from agent.api.responses import json_response
from agent.api.schemas import ChatCreate
from agent.domain import Reply

router = APIRouter(prefix="/v1/chat", tags=["chat"])

_WORDS_PER_CHUNK = 4
_WORD = re.compile(r"\S+\s*|\s+")


def text_chunks(text: str, words: int = _WORDS_PER_CHUNK) -> Iterator[str]:
    """The text in pieces of a few words, whitespace kept, so joined they are the text."""
    pieces = _WORD.findall(text)
    for start in range(0, len(pieces), words):
        yield "".join(pieces[start : start + words])


def chat_reply(agent: AgentDep, caller: ShopperSide, body: ChatCreate) -> Reply:
    shopper_id = caller.shopper(body.shopper_id)
    with agent.use() as tactful:
        reply = tactful.chat(
            shopper_id, body.message, conversation_id=body.conversation_id, mode=body.mode
        )
    return public_reply(reply)


@router.post("", response_model=Reply)
def chat(agent: AgentDep, caller: ShopperSide, body: ChatCreate) -> Response:
    """One turn: the reply, its suggestions with reasons, any question or hand-over."""
    return json_response(chat_reply(agent, caller, body))


def _sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
def chat_stream(agent: AgentDep, caller: ShopperSide, body: ChatCreate) -> StreamingResponse:
    """The reply as Server-Sent Events: ``delta`` ``{"text": …}`` events, then ``done`` with
    the full reply (the shape of ``POST /v1/chat``). Errors come before the stream starts,
    as ordinary error responses."""
    reply = chat_reply(agent, caller, body)

    def events() -> Iterator[str]:
        for chunk in text_chunks(reply.text):
            yield _sse("delta", {"text": chunk})
        yield _sse("done", reply.model_dump(mode="json"))

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
