"""The chat model behind the LLM brain, and one guarded call to it.

This is the only module that imports ``langchain_openai`` and ``openai``: any
OpenAI-compatible endpoint works (OpenAI, Ollama, vLLM, a gateway), named by settings.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolCall,
)
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_openai import ChatOpenAI
from pydantic import ValidationError

import prompts
from agent.brain.llm.stats import CircuitBreaker, LlmStats, log
from agent.errors import InvalidInput
from agent.settings import Settings

T = TypeVar("T")
#: JSON and English run at about 3 to 4 characters a token; 3 keeps the estimate high.
CHARS_PER_TOKEN = 3
#: The most calls one turn may make (reading, a repair, wording share it).
CALLS_PER_TURN = 2
#: Room for the answer: a reading or a few short reasons, never an essay.
MAX_OUTPUT_TOKENS = 400


class Fault(Exception):
    """An LLM call that gave nothing usable; ``cause`` names why, for the counts."""

    def __init__(self, cause: str, detail: str = "") -> None:
        super().__init__(f"{cause}: {detail}" if detail else cause)
        self.cause = cause
        self.detail = detail


def chat_model(settings: Settings) -> ChatOpenAI:
    """The chat model the settings name. No retries: a retry is another call on the
    turn's budget, and a failing endpoint is left to the circuit breaker."""
    if not settings.llm_model:
        raise InvalidInput("TACTFUL_LLM_MODEL names no model.")
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    key = key or os.environ.get("OPENAI_API_KEY")
    if not key and not settings.llm_base_url:
        raise InvalidInput(
            "TACTFUL_LLM_MODEL is set but there is no OPENAI_API_KEY (or TACTFUL_LLM_API_KEY), "
            "nor a TACTFUL_LLM_BASE_URL for a local server."
        )
    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        # Local servers (Ollama, vLLM) take any key; the client insists on one.
        api_key=key or "unused",
        timeout=settings.llm_timeout_seconds,
        max_retries=0,
        temperature=0,
        max_tokens=MAX_OUTPUT_TOKENS,
        streaming=settings.llm_stream,
        stream_usage=True,
    )


class Caller:
    """Makes a turn's LLM calls: at most :data:`CALLS_PER_TURN`, each bounded in input
    tokens, counted, and skipped while the circuit breaker is open."""

    def __init__(
        self,
        model: BaseChatModel,
        stats: LlmStats,
        breaker: CircuitBreaker,
        *,
        max_input_tokens: int,
    ) -> None:
        self._model = model
        self.stats = stats
        self._breaker = breaker
        self._max_input_tokens = max_input_tokens

    def ask(
        self,
        system: str,
        payload: dict[str, Any],
        schema: dict[str, Any],
        parse: Callable[[str], T],
    ) -> T:
        """The model's answer to ``payload`` as JSON in ``schema``, parsed by ``parse``;
        an answer ``parse`` rejects is sent back once to be repaired."""
        messages: list[BaseMessage] = [
            SystemMessage(system),
            HumanMessage(json.dumps(payload, ensure_ascii=False)),
        ]
        text = self._call(messages, schema)
        try:
            return parse(text)
        except (ValueError, ValidationError) as error:
            problem = _first_line(error)
        messages += [AIMessage(text), HumanMessage(prompts.render("llm/repair", problem=problem))]
        text = self._call(messages, schema)
        try:
            return parse(text)
        except (ValueError, ValidationError) as error:
            raise Fault("invalid", _first_line(error)) from None

    def choose_tools(
        self, system: str, payload: dict[str, Any], tools: Sequence[BaseTool]
    ) -> list[ToolCall]:
        """The tool calls the model makes for ``payload``, none of them run yet."""
        messages: list[BaseMessage] = [
            SystemMessage(system),
            HumanMessage(json.dumps(payload, ensure_ascii=False)),
        ]
        schemas = [convert_to_openai_tool(tool) for tool in tools]
        message = self._invoke(messages, schemas, tools=schemas)
        return message.tool_calls

    def _call(self, messages: list[BaseMessage], schema: dict[str, Any]) -> str:
        response_format = {
            "type": "json_schema",
            "json_schema": {"name": schema.get("title", "answer"), "schema": schema},
        }
        message = self._invoke(messages, schema, response_format=response_format)
        content = message.content
        return content if isinstance(content, str) else json.dumps(content)

    def _invoke(self, messages: list[BaseMessage], schema: object, **options: Any) -> AIMessage:
        """One guarded call; ``schema`` is what the answer must fit, counted as input."""
        if self.stats.current.calls >= CALLS_PER_TURN:
            raise Fault("budget")
        if self._breaker.open:
            raise Fault("breaker_open")
        estimate = estimate_tokens(messages, schema)
        if estimate > self._max_input_tokens:
            raise Fault("too_long", f"about {estimate} input tokens")
        try:
            message = self._model.invoke(messages, **options)
        except Exception as error:
            self.stats.count_call(0, 0)
            self._breaker.record(ok=False)
            raise Fault(*_classify(error)) from error
        usage = getattr(message, "usage_metadata", None) or {}
        sent, received = usage.get("input_tokens", 0), usage.get("output_tokens", 0)
        self.stats.count_call(sent, received)
        log.info("LLM call: %d input tokens (%d estimated), %d output", sent, estimate, received)
        finish = message.response_metadata.get("finish_reason")
        if finish == "length":
            self._breaker.record(ok=False)
            raise Fault("truncated")
        self._breaker.record(ok=True)
        assert isinstance(message, AIMessage)  # a chat model answers with one
        return message


def estimate_tokens(messages: list[BaseMessage], schema: object) -> int:
    """A generous estimate of a call's input tokens, made before sending it."""
    chars = sum(len(str(m.content)) for m in messages) + len(json.dumps(schema))
    return chars // CHARS_PER_TOKEN + 1


def _classify(error: Exception) -> tuple[str, str]:
    """The fault class of a failed call, and a line about it for the log."""
    detail = _first_line(error)
    if isinstance(error, openai.APITimeoutError):  # before its parent, APIConnectionError
        return "timeout", detail
    if isinstance(error, openai.APIConnectionError):
        return "connection", detail
    if isinstance(error, openai.RateLimitError):
        return "rate_limit", detail
    if isinstance(error, openai.APIStatusError):
        return ("server" if error.status_code >= 500 else "refused"), detail
    if isinstance(error, openai.LengthFinishReasonError):
        return "truncated", detail
    if isinstance(error, openai.OpenAIError):
        return "error", detail
    # A body that is no chat completion at all (a proxy's HTML page) fails deeper down,
    # in whatever way the client happens to trip over it.
    log.debug("LLM answer unreadable", exc_info=error)
    return "malformed", detail


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
