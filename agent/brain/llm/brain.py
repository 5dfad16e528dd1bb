"""The LLM brain: reads messages and words suggestions with a chat model, and falls back to
the offline brain whenever the model fails, is not needed, or says what it may not."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from functools import cache
from typing import Any

from langchain_core.messages import ToolCall
from langchain_core.tools import BaseTool

import prompts
from agent.brain import intents as i
from agent.brain.base import ReadContext, ShopView, Worded
from agent.brain.llm.client import Caller, Fault
from agent.brain.llm.finder import Finder
from agent.brain.llm.grounding import reason_is_grounded, ungrounded_words
from agent.brain.llm.stats import LlmStats, log
from agent.brain.llm.tools import ServerContext, research_tools, run_tool_call
from agent.brain.offline.brain import OfflineBrain
from agent.brain.offline.slots import fact_wording
from agent.conversation import outcome as o
from tools.types import Suggestion

#: Readings that act on the shopper's data or hand the chat over: only the offline
#: reader's reading of these is acted on, never the model's.
_CONSEQUENTIAL = (
    i.DataRequest,
    i.Forget,
    i.Personalization,
    i.Confirm,
    i.Handoff,
    i.Sensitive,
    i.CallOff,
)
#: Evidence per factor sent for wording: the ones the reason names come first.
EVIDENCE_PER_FACTOR = 3
#: Search, then rank: a model that calls more than a few tools is not doing that.
MAX_TOOL_CALLS = 3


class LlmBrain:
    """Reads what the offline reader is not sure of with one structured-output call
    (repaired once), or for a new request lets the model pick search and ranking tools
    in that call instead, words suggestions with one more, and keeps the offline brain's
    reading or wording whenever the model's is not usable. At most two calls a turn, one
    on most: a message the offline rules or a sure meaning read exactly (a button, a yes
    or no, "cheaper", "thanks") costs no reading call."""

    def __init__(self, caller: Caller, offline: OfflineBrain, *, tools: bool = True) -> None:
        self._caller = caller
        self._offline = offline
        self._tools = tools
        #: This thread's turn: the open-ended request whose items the model may find.
        self._turn = threading.local()
        self.stats: LlmStats = caller.stats

    def read(self, message: str, context: ReadContext) -> i.Understanding:
        offline, sure = self._offline.read_surely(message, context)
        self.stats.start_turn(sure=sure)
        self._turn.open = None
        if sure:
            return offline
        if self._tools and _open_ended(offline, context):
            # The model's sense of it goes into the tools it picks, in the turn's one
            # reading call; who it is for, the budget and the mode stay the offline reading's.
            self._turn.open = (message, context)
            return offline
        payload = {"state": context.model_dump(), "message": message}
        try:
            reading = self._caller.ask(
                prompts.render("llm/read"), payload, reading_schema(), _parse_reading
            )
        except Fault as fault:
            self.stats.count_fallback(fault.cause, fault.detail)
            return offline
        if isinstance(reading, _CONSEQUENTIAL):
            # Which data, which fact, which hand-over: the offline reading decides, so a
            # model talked round ("erase shopper 12346", "forget all my facts") does nothing.
            if type(reading) is not type(offline):
                self.stats.count_fallback("overruled", reading.kind)
            return offline
        if isinstance(reading, i.Correction):
            if ungrounded_words(reading.subject, message):
                self.stats.count_fallback("unsaid", reading.subject)
                return offline
            # Remembered and shown back to them: a fact is worded the way tactful words
            # facts, from the shopper's own verb, never in the model's words.
            text = fact_wording(message.lower(), reading.subject, reading.polarity)
            return reading.model_copy(update={"text": text})
        return reading

    def choose(self, message: str, shop: ShopView) -> list[Suggestion] | None:
        """Items for an open-ended request the offline reader was unsure of, found by the
        search and ranking tools the model calls in one answer and tactful runs; None
        (the conversation ranks as usual) when it is not such a turn or the model's
        choice is not usable."""
        opened: tuple[str, ReadContext] | None = getattr(self._turn, "open", None)
        self._turn.open = None
        if opened is None or opened[0] != message:
            return None
        finder = Finder(shop)
        tools = research_tools(finder)
        payload = {"state": opened[1].model_dump(), "message": message}
        try:
            calls = self._caller.choose_tools(prompts.render("llm/choose"), payload, tools)
            suggestions = self._run(calls, tools, finder, shop)
        except Fault as fault:
            self.stats.count_fallback(fault.cause, fault.detail)
            return None
        self.stats.count_tool_turn()
        return suggestions

    def _run(
        self, calls: list[ToolCall], tools: list[BaseTool], finder: Finder, shop: ShopView
    ) -> list[Suggestion]:
        known = {tool.name for tool in tools}
        if not calls:
            raise Fault("no_tool_call")
        if len(calls) > MAX_TOOL_CALLS:
            raise Fault("too_many_tool_calls", str(len(calls)))
        for call in calls:
            if call["name"] not in known:
                raise Fault("unknown_tool", call["name"])
        context = ServerContext(shopper_id=shop.shopper_id, conversation_id=shop.conversation_id)
        # Found, then ranked, whatever order the calls came in: ranking ranks what was found.
        for call in sorted(calls, key=lambda c: c["name"] != "catalog_search"):
            result = run_tool_call(tools, call, context)
            if result.status == "error":
                raise Fault("tool_error", f"{call['name']}: {result.content}")
        suggestions = finder.result()
        if not suggestions:
            raise Fault("nothing_found")
        return suggestions

    def word(self, outcome: o.Outcome) -> str:
        # What was done is said in the offline brain's exact words; "why" is always the
        # breakdown of the factors themselves. The grounding check holds a rewording to
        # the words it was given, not to what they say together: "what I know about you"
        # reworded may drop a line or pair "179" with the wrong noun, a clarifying question
        # may be turned round ("was it for you?" for "for someone else?") and the answer
        # then read against the wrong one, "nothing fits" may lose its "nothing". Only a
        # suggestion's reason is safe to reword, each of its phrases quoted whole.
        return self._offline.word(outcome)

    def word_shown(self, outcome: o.Outcome, suggestions: Sequence[Suggestion]) -> Worded:
        template = self._offline.word_shown(outcome, suggestions)
        payload = {
            "reply": template.text,
            "items": [_item(s) for s in suggestions],
        }
        try:
            worded = self._caller.ask(
                prompts.render("llm/word"),
                payload,
                wording_schema(),
                lambda text: _parse_wording(text, len(suggestions)),
            )
        except Fault as fault:
            self.stats.count_fallback(fault.cause, fault.detail)
            return template
        reasons = []
        for suggestion, reason, fallback in zip(
            suggestions, worded.reasons, template.reasons, strict=True
        ):
            if reason_is_grounded(reason, suggestion):
                reasons.append(reason.strip())
            else:
                self._reject(reason, suggestion.item.item_id)
                reasons.append(fallback)
        text = worded.text.strip()
        if not text or ungrounded_words(text, template.text):
            self._reject(text, "the reply")
            text = template.text
        return Worded(text=text, reasons=reasons)

    def _reject(self, worded: str, what: str) -> None:
        self.stats.count_ungrounded()
        log.info("LLM wording for %s says what its factors do not hold: %r", what, worded)


def _open_ended(reading: i.Understanding, context: ReadContext) -> bool:
    """A new search the model may answer with tools: a request, not for what goes with
    something (that has its own path) nor for "her" or "him", and with words of its own
    or nothing on screen (else it may only narrow the search on screen)."""
    return (
        isinstance(reading, i.Request)
        and not reading.goes_with
        and reading.pronoun is None
        and bool(reading.query or not context.suggestion_count)
    )


def _item(suggestion: Suggestion) -> dict[str, Any]:
    return {
        "title": suggestion.item.title,
        "factors": [
            {
                "name": f.name.value,
                "evidence": [e.label for e in f.evidence[:EVIDENCE_PER_FACTOR] if e.label],
            }
            for f in suggestion.factors
            if f.contribution > 0
        ],
        "reason": suggestion.reason,
    }


def _parse_reading(text: str) -> i.Understanding:
    data = json.loads(text)
    if not isinstance(data, dict) or "reading" not in data:
        raise ValueError('the answer has no "reading"')
    return i.understanding_adapter.validate_python(data["reading"])


def _parse_wording(text: str, count: int) -> Worded:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("the answer is not an object")
    worded = Worded(text=data.get("reply", ""), reasons=data.get("reasons", []))
    if len(worded.reasons) != count:
        raise ValueError(f"{len(worded.reasons)} reasons for {count} items")
    return worded


@cache
def reading_schema() -> dict[str, Any]:
    """The :data:`Understanding` union as a JSON schema, without titles and defaults that
    the model does not need (the prompt says what each kind means)."""
    union = _compact(i.understanding_adapter.json_schema())
    defs = union.pop("$defs")
    return {
        "title": "reading",
        "type": "object",
        "properties": {"reading": union},
        "required": ["reading"],
        "$defs": defs,
    }


@cache
def wording_schema() -> dict[str, Any]:
    return {
        "title": "wording",
        "type": "object",
        "properties": {
            "reply": {"type": "string"},
            "reasons": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["reply", "reasons"],
    }


def _compact(schema: Any) -> Any:
    """The schema without what costs tokens and tells the model nothing: titles,
    defaults, descriptions, the discriminator's mapping (each member's ``kind`` is a
    constant already), and ``X or null`` where leaving the field out says the same."""
    if isinstance(schema, list):
        return [_compact(value) for value in schema]
    if not isinstance(schema, dict):
        return schema
    options = schema.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        (kept,) = [option for option in options if option != {"type": "null"}]
        schema = {**{k: v for k, v in schema.items() if k != "anyOf"}, **kept}
    return {
        key: _compact(value)
        for key, value in schema.items()
        if key not in ("title", "default", "description", "discriminator")
    }
