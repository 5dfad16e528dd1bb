"""``POST /v1/chat/completions``: tactful as a model any OpenAI client can talk to.

The wire format is OpenAI's chat completions, streamed (``data: {chunk}`` lines, then
``data: [DONE]``) or not. tactful keeps the conversation itself, so only the last user
message is read as the turn. The shopper is the shopper token's, or with a shop key the
``user`` field (or the ``X-Tactful-Shopper`` header). The conversation is the one named by
the ``X-Tactful-Conversation`` header, else the shopper's current one.

The reply text lists the suggestions with their reasons, so a plain chat client shows
them; the same data, structured, is in an extra ``tactful`` field on the response (and on
the last chunk of a stream): ``conversation_id``, ``mode``, ``suggestions`` (item id,
title, price, score, reason), ``question`` and ``escalation``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from agent.api.deps import AgentDep, ShopperSide
from agent.api.routes.chat import text_chunks
from agent.domain import Reply
from agent.errors import InvalidInput

router = APIRouter(prefix="/v1/chat/completions", tags=["openai-compatible"])

MODEL = "tactful"


class MessagePart(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: str
    content: str | list[MessagePart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class CompletionCreate(BaseModel):
    """OpenAI's request; sampling options are accepted and ignored (replies are grounded
    in the ranking, not sampled)."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "model": "tactful",
                    "messages": [{"role": "user", "content": "a gift for my sister under £20"}],
                    "user": "17850",
                }
            ]
        },
    )

    model: str = MODEL
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    user: str | None = Field(default=None, description="the shopper id, with a shop key")


class CompletionMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: CompletionMessage
    finish_reason: Literal["stop"] = "stop"


class Usage(BaseModel):
    # tactful does not count tokens; zeros keep clients that read usage working.
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class Completion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage = Field(default_factory=Usage)
    tactful: dict[str, Any] = Field(description="the reply's structured data (module docs)")


def reply_text(reply: Reply) -> str:
    """The reply, then each suggestion on its own line with its reason."""
    lines = [reply.text]
    if reply.suggestions and not any(s.item.title in reply.text for s in reply.suggestions):
        lines.append("")
        for n, s in enumerate(reply.suggestions, start=1):
            price = f" ({s.item.price:.2f})" if s.item.price is not None else ""
            lines.append(f"{n}. {s.item.title}{price}: {s.reason}")
    return "\n".join(lines)


def tactful_extra(reply: Reply) -> dict[str, Any]:
    return {
        "conversation_id": reply.conversation_id,
        "mode": reply.mode.value,
        "mode_reason": reply.mode_reason,
        "personalized": reply.personalized,
        "suggestions": [
            {
                "item_id": s.item.item_id,
                "title": s.item.title,
                "price": s.item.price,
                "score": s.score,
                "reason": s.reason,
            }
            for s in reply.suggestions
        ],
        "question": reply.question.text if reply.question else None,
        "escalation": reply.escalation.model_dump(mode="json") if reply.escalation else None,
    }


@router.post(
    "",
    response_model=Completion,
    responses={200: {"content": {"text/event-stream": {}}}},
)
def create_completion(
    agent: AgentDep,
    caller: ShopperSide,
    body: CompletionCreate,
    x_tactful_shopper: Annotated[str | None, Header()] = None,
    x_tactful_conversation: Annotated[str | None, Header()] = None,
) -> Completion | StreamingResponse:
    """One chat turn in OpenAI's format (``stream: true`` for Server-Sent Events)."""
    turn = next((m for m in reversed(body.messages) if m.role == "user"), None)
    if turn is None or not turn.text().strip():
        raise InvalidInput("messages: the last user message is missing or empty.")
    shopper_id = caller.shopper(body.user or x_tactful_shopper)
    with agent.use() as tactful:
        reply = tactful.chat(shopper_id, turn.text(), conversation_id=x_tactful_conversation)
    completion = Completion(
        id=f"chatcmpl-{uuid.uuid4().hex}",
        created=int(time.time()),
        model=body.model or MODEL,
        choices=[Choice(message=CompletionMessage(content=reply_text(reply)))],
        tactful=tactful_extra(reply),
    )
    if not body.stream:
        return completion
    return StreamingResponse(
        _chunks(completion), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


def _chunks(completion: Completion) -> Iterator[str]:
    base = {
        "id": completion.id,
        "object": "chat.completion.chunk",
        "created": completion.created,
        "model": completion.model,
    }

    def chunk(delta: dict[str, str], finish: str | None = None, **extra: Any) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return f"data: {json.dumps({**base, 'choices': [choice], **extra})}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for piece in text_chunks(completion.choices[0].message.content):
        yield chunk({"content": piece})
    yield chunk({}, "stop", tactful=completion.tactful)
    yield "data: [DONE]\n\n"
