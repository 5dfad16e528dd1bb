"""The ranking tools as LangChain tools, for a tool-calling model.

Each tool is a small typed function over a :class:`ToolBackend` (the ``Tactful``
facade fits it) with a pydantic argument model; its docstring is the description
the model reads. Outputs are plain dicts and lists, so they serialise to JSON as
they are.

Which shopper and conversation a tool acts on is never the model's to say: those
arguments are ``InjectedToolArg``s, left out of the schema the model sees and filled
from the server's own context by :func:`run_tool_call`, over anything the model sent.
No tool reads or writes another shopper's data, or anything only staff may change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, Protocol, Self, TypeVar

from langchain_core.messages import ToolCall, ToolMessage
from langchain_core.tools import BaseTool, InjectedToolArg, StructuredTool, ToolException
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from tools.explain import Explanation
from tools.search import SearchHit
from tools.types import (
    Identifier,
    PreferenceFact,
    ShopperMode,
    Suggestion,
)


class SearchBackend(Protocol):
    """What the read-only tools need: catalog search, and ranking for a shopper."""

    def search(
        self,
        query: str,
        *,
        k: int = 10,
        category: str | None = None,
        price_min: float | None = None,
        price_max: float | None = None,
    ) -> list[SearchHit]: ...

    def recommend(
        self,
        shopper_id: str,
        *,
        k: int = 10,
        mode: str | None = None,
        query: str | None = None,
        budget_max: float | None = None,
        category: str | None = None,
        recipient: str | None = None,
        same_country: bool = False,
    ) -> list[Suggestion]: ...


class ToolBackend(SearchBackend, Protocol):
    """What all the tools need from the agent; ``agent.facade.Tactful`` satisfies it."""

    def explain(self, shopper_id: str, item_id: str) -> Explanation: ...

    def remember(
        self, shopper_id: str, text: str, *, subject: str | None = None, polarity: int = 1
    ) -> PreferenceFact: ...

    def forget(self, shopper_id: str, fact_id: str) -> PreferenceFact: ...

    def escalate(self, shopper_id: str, conversation_id: str, reason: str) -> str: ...


# -- argument models --------------------------------------------------------------------------


def _blank_to_none(value: object) -> object:
    # Models often send "" for an optional argument they mean to leave out.
    return None if isinstance(value, str) and not value.strip() else value


# Constraints sit on the inner type: on ``str | None`` pydantic would apply them to None too.
Text = Annotated[str, Field(min_length=1, max_length=500)]
OptionalText = Annotated[
    Annotated[str, Field(max_length=500)] | None, BeforeValidator(_blank_to_none)
]
OptionalName = Annotated[
    Annotated[str, Field(max_length=100)] | None, BeforeValidator(_blank_to_none)
]
Count = Annotated[int, Field(ge=1, le=50, description="How many results to return (1–50).")]
Price = Annotated[float, Field(ge=0)] | None
# Filled by the server from the conversation, never by the model (see run_tool_call).
ShopperId = Annotated[Identifier, InjectedToolArg]
ConversationId = Annotated[Identifier, InjectedToolArg]


class _Args(BaseModel):
    # A misspelt argument ("max_price") must fail loudly rather than silently drop a filter.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SearchArgs(_Args):
    """Arguments of ``catalog_search``."""

    query: Text = Field(description="What to look for, in plain words, e.g. 'owl lantern'.")
    k: Count = 10
    category: OptionalName = Field(default=None, description="Only items in this category.")
    price_min: Price = Field(default=None, description="Lowest price, inclusive.")
    price_max: Price = Field(default=None, description="Highest price, inclusive.")

    @model_validator(mode="after")
    def _price_range_is_ordered(self) -> Self:
        low, high = self.price_min, self.price_max
        if low is not None and high is not None and low > high:
            raise ValueError("price_min must not be above price_max")
        return self


class RecommendArgs(_Args):
    """Arguments of ``recommend``."""

    shopper_id: ShopperId
    k: Count = 10
    mode: ShopperMode | None = Field(
        default=None,
        description="How the shopper is shopping: browsing (light, broad), research, "
        "purchase (tight), or gift (own taste set aside). Leave out if unsure.",
    )
    query: OptionalText = Field(default=None, description="What they asked for, if anything.")
    budget_max: Price = Field(default=None, description="Highest price they want to pay.")
    category: OptionalName = Field(default=None, description="Only items in this category.")
    recipient: OptionalName = Field(
        default=None, description="Who a gift is for, e.g. 'niece'; only in gift mode."
    )
    same_country: bool = Field(
        default=False, description="Draw the community signal from the shopper's country only."
    )


class ExplainArgs(_Args):
    """Arguments of ``explain``."""

    shopper_id: ShopperId
    item_id: Identifier = Field(description="The item to explain, as returned by other tools.")


class RememberArgs(_Args):
    """Arguments of ``remember``."""

    shopper_id: ShopperId
    text: Text = Field(description="The preference as the shopper put it, e.g. 'vegan leather'.")
    subject: OptionalName = Field(
        default=None, description="What it is about, e.g. 'leather'; defaults to the text."
    )
    polarity: Literal[1, -1] = Field(default=1, description="1 if they like it, -1 to avoid it.")


class ForgetArgs(_Args):
    """Arguments of ``forget``."""

    shopper_id: ShopperId
    fact_id: Identifier = Field(description="The fact to retract, as returned by remember.")


class EscalateArgs(_Args):
    """Arguments of ``escalate``."""

    shopper_id: ShopperId
    conversation_id: ConversationId
    reason: Text = Field(description="Why a person should take over, in one sentence.")


# -- the tools: each docstring is the description the model reads -----------------------------


def _catalog_search(backend: SearchBackend, args: SearchArgs) -> list[dict[str, Any]]:
    """Search the shop's catalog by meaning, with optional category and price filters.
    Not personalized: use it to find what exists, and recommend to rank for a shopper."""
    hits = backend.search(
        args.query,
        k=args.k,
        category=args.category,
        price_min=args.price_min,
        price_max=args.price_max,
    )
    return [
        {
            "item_id": hit.item.item_id,
            "title": hit.item.title,
            "category": hit.item.category,
            "price": hit.item.price,
            "similarity": _num(hit.similarity),
        }
        for hit in hits
    ]


def _recommend(backend: SearchBackend, args: RecommendArgs) -> list[dict[str, Any]]:
    """Rank items for a shopper, each with a score, the factors that produced it and a
    plain-language reason built only from those factors. Quote the reason; never invent
    one."""
    suggestions = backend.recommend(
        args.shopper_id,
        k=args.k,
        mode=args.mode,
        query=args.query,
        budget_max=args.budget_max,
        category=args.category,
        recipient=args.recipient,
        same_country=args.same_country,
    )
    return [
        {
            "item_id": s.item.item_id,
            "title": s.item.title,
            "price": s.item.price,
            "score": _num(s.score),
            "reason": s.reason,
            "factors": {f.name.value: _num(f.contribution) for f in s.factors},
        }
        for s in suggestions
    ]


def _explain(backend: ToolBackend, args: ExplainArgs) -> dict[str, Any]:
    """Why an item is suggested to a shopper: every factor with its share of the score
    and the facts, events or shoppers behind it. Use it for "why am I seeing this?"."""
    explanation = backend.explain(args.shopper_id, args.item_id)
    return {
        "item_id": explanation.item_id,
        "title": explanation.title,
        "score": _num(explanation.score),
        "reason": explanation.reason,
        "factors": [
            {
                "name": line.name.value,
                "contribution": _num(line.contribution),
                "share": _num(line.share),
                "cited": line.cited,
                "evidence": [e.label for e in line.evidence],
            }
            for line in explanation.factors
        ],
    }


def _remember(backend: ToolBackend, args: RememberArgs) -> dict[str, Any]:
    """Remember a preference the shopper stated ("I only buy vegan leather"). Only for
    what they said about themselves, not guesses; it changes the very next ranking."""
    fact = backend.remember(
        args.shopper_id, args.text, subject=args.subject, polarity=args.polarity
    )
    return _fact(fact)


def _forget(backend: ToolBackend, args: ForgetArgs) -> dict[str, Any]:
    """Forget a preference fact the shopper says is wrong or no longer true."""
    return _fact(backend.forget(args.shopper_id, args.fact_id))


def _escalate(backend: ToolBackend, args: EscalateArgs) -> dict[str, Any]:
    """Hand the conversation to a person: when the shopper asks for one, is frustrated,
    raises a complaint, payment, return or delivery question, or when you have no good
    answer."""
    return {"escalation_id": backend.escalate(args.shopper_id, args.conversation_id, args.reason)}


def _fact(fact: PreferenceFact) -> dict[str, Any]:
    return {
        "fact_id": fact.fact_id,
        "text": fact.text,
        "subject": fact.subject,
        "polarity": fact.polarity,
        "status": fact.status.value,
    }


def _num(value: float) -> float:
    # float() because scores may arrive as numpy scalars, which json cannot encode.
    return round(float(value), 4)


# -- wrapping --------------------------------------------------------------------------------

A = TypeVar("A", bound=BaseModel)
B = TypeVar("B", bound=SearchBackend)


def build_tools(backend: ToolBackend) -> list[BaseTool]:
    """The six tools over ``backend``, ready to bind to a tool-calling chat model.

    Similar shoppers are not among them: their ids are other shoppers' data.
    """
    return [
        *research_tools(backend),
        _tool("explain", ExplainArgs, _explain, backend),
        _tool("remember", RememberArgs, _remember, backend),
        _tool("forget", ForgetArgs, _forget, backend),
        _tool("escalate", EscalateArgs, _escalate, backend),
    ]


def research_tools(backend: SearchBackend) -> list[BaseTool]:
    """What a model may choose between inside a chat turn: the tools that find and rank
    and change nothing (remembering, forgetting and handing over follow the shopper's
    own words, never a model's choice)."""
    return [
        _tool("catalog_search", SearchArgs, _catalog_search, backend),
        _tool("recommend", RecommendArgs, _recommend, backend),
    ]


def _tool(
    name: str,
    schema: type[A],
    run: Callable[[B, A], object],
    backend: B,
) -> BaseTool:
    def call(**arguments: Any) -> object:
        # LangChain has already validated the arguments against ``schema``.
        args = schema.model_construct(**arguments)
        try:
            return run(backend, args)
        except Exception as error:
            message = _user_message(error)
            if message is None:
                raise
            # Only ToolException is turned into a tool result by handle_tool_error.
            raise ToolException(message) from error

    return StructuredTool.from_function(
        func=call,
        name=name,
        description=" ".join((run.__doc__ or "").split()),
        args_schema=schema,
        handle_tool_error=_tool_error,
        handle_validation_error=_invalid_arguments,
    )


def _user_message(error: Exception) -> str | None:
    """The message of an error the model can act on, or None for a bug."""
    message = getattr(error, "message", None)  # TactfulError, which tools cannot import
    if isinstance(message, str):
        return message
    if isinstance(error, ValueError):
        return str(error)
    return None


def _tool_error(error: Exception) -> str:
    return f"Error: {error}"


def _invalid_arguments(error: Exception) -> str:
    if isinstance(error, ValidationError):
        problems = "; ".join(_problem(e["loc"], e["msg"]) for e in error.errors())
    else:
        problems = str(error)
    return f"Invalid arguments: {problems}."


def _problem(loc: tuple[int | str, ...], message: str) -> str:
    # A check across fields (price range) has no location of its own.
    where = ".".join(str(part) for part in loc)
    return f"{where}: {message}" if where else message


class ServerContext(BaseModel):
    """Who the conversation is with, as the server knows it (from the shopper's token)."""

    model_config = ConfigDict(frozen=True)

    shopper_id: Identifier
    conversation_id: Identifier


def run_tool_call(tools: list[BaseTool], call: ToolCall, context: ServerContext) -> ToolMessage:
    """Run one tool call a model made, with the shopper and conversation taken from
    ``context``: whatever ids the model put in its arguments are overwritten."""
    by_name = {tool.name: tool for tool in tools}
    tool = by_name.get(call["name"])
    if tool is None:
        return ToolMessage(
            f"Error: there is no tool named {call['name']!r}.",
            tool_call_id=call["id"] or "",
            status="error",
        )
    injected = {
        name: getattr(context, name)
        for name in _injected_names(tool)
        if name in ServerContext.model_fields
    }
    result = tool.invoke({**call, "args": {**call["args"], **injected}})
    assert isinstance(result, ToolMessage)  # a tool call in gives a tool message out
    return result


def _injected_names(tool: BaseTool) -> list[str]:
    schema = tool.args_schema
    assert isinstance(schema, type) and issubclass(schema, BaseModel)
    return [
        name
        for name, field in schema.model_fields.items()
        if any(isinstance(m, InjectedToolArg) or m is InjectedToolArg for m in field.metadata)
    ]
