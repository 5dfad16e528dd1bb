"""Configuration, read from ``TACTFUL_*`` environment variables (or passed in)."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from agent.clock import parse_time
from agent.policy.escalation import EscalationConfig
from agent.snapshot.config import SnapshotConfig
from tools.signals import DecayPolicy
from tools.types import as_naive_utc


class ApiConfig(BaseModel):
    """The HTTP API (``tactful serve``): who may call it, how often, and how much at once.

    Set with ``TACTFUL_API__<FIELD>``, e.g. ``TACTFUL_API__CORS_ORIGINS='["https://shop.example"]'``.
    """

    signing_secret: SecretStr | None = Field(
        default=None,
        description="HMAC key for shopper tokens; unset: a random one kept in home/api-secret. "
        "Set it (the same everywhere) when several servers share one database.",
    )
    shopper_token_ttl_seconds: int = Field(
        default=3600, ge=60, le=7 * 24 * 3600, description="longest life of a shopper token"
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="browser origins allowed to call the API (the shop's pages); none by default",
    )
    rate_per_second: float = Field(
        default=20.0, gt=0, description="requests per second each key or token may sustain"
    )
    rate_burst: int = Field(default=60, ge=1, description="requests a key or token may burst")
    max_body_bytes: int = Field(
        default=1_000_000, ge=1024, description="larger request bodies are refused with 413"
    )
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="worker processes serving the API (`tactful serve --workers` sets it); "
        "with more than one, each caller's rate is counted in the database, for all at once",
    )
    live_poll_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="how often a live stream (the staff queue, a conversation) checks the "
        "stores for changes, which any worker may have made",
    )
    demo: bool = Field(
        default=False,
        description="serve the demo shop page at / and let it get tokens for the demo's "
        "customers without a shop key; never on a real shop",
    )
    metrics_from: list[str] = Field(
        default_factory=lambda: ["127.0.0.0/8", "::1/128"],
        description="networks whose direct requests may read /metrics (Prometheus scrapes "
        "each server itself); loopback only by default, never through a proxy",
    )

    @field_validator("metrics_from")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(f"{network!r} is not an address or network") from None
        return value


class Settings(BaseSettings):
    """Everything that differs between a laptop demo and a shop's deployment.

    ``TACTFUL_HOME`` holds the embedded stores; ``TACTFUL_CHROMA_URL`` and
    ``TACTFUL_DATABASE_URL`` point at a Chroma server and an SQL server instead.
    Nested values use ``__``: ``TACTFUL_DECAY__PURCHASE_DAYS=120``.
    """

    model_config = SettingsConfigDict(
        env_prefix="TACTFUL_", env_nested_delimiter="__", extra="ignore"
    )

    home: Path = Field(default_factory=lambda: Path.home() / ".tactful")
    chroma_url: str | None = Field(
        default=None, description="e.g. http://localhost:8000; embedded Chroma when unset"
    )
    chroma_serves_home: bool = Field(
        default=False,
        description="the server at chroma_url keeps its data in home's own chroma folder "
        "(as `tactful serve --workers` runs it), so it holds the same vectors as embedded",
    )
    database_url: str | None = Field(
        default=None, description="any SQLAlchemy URL; SQLite under home when unset"
    )
    decay: DecayPolicy = Field(default_factory=DecayPolicy)
    escalation: EscalationConfig = Field(default_factory=EscalationConfig)
    max_message_chars: int = Field(default=2000, ge=1)
    api: ApiConfig = Field(default_factory=ApiConfig)
    snapshot: SnapshotConfig = Field(default_factory=SnapshotConfig)
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="how `tactful serve` writes its log to stderr: readable lines, or one "
        "JSON object per line for a log collector",
    )
    llm_model: str | None = Field(
        default=None,
        description="a chat model name (e.g. gpt-4o-mini, or llama3.1 on Ollama): the agent "
        "reads and words with it; fully offline when unset",
    )
    llm_base_url: str | None = Field(
        default=None,
        description="an OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 for Ollama; "
        "OpenAI's own when unset",
    )
    llm_api_key: SecretStr | None = Field(
        default=None, description="the endpoint's key; OPENAI_API_KEY is read when unset"
    )
    llm_timeout_seconds: float = Field(
        default=10.0, gt=0, le=15, description="longest wait for one LLM call"
    )
    llm_max_input_tokens: int = Field(
        default=4000,
        ge=500,
        description="the most input tokens one LLM call may send (estimated before sending); "
        "a call that would send more is not made",
    )
    llm_stream: bool = Field(default=False, description="receive LLM answers as a stream")
    llm_tools: bool = Field(
        default=True,
        description="an open-ended request the offline reader is unsure of is answered "
        "with the search and ranking tools the model chooses, instead of its reading",
    )
    llm_breaker_failures: int = Field(
        default=3, ge=1, description="failed LLM calls in a row that stop calling for a while"
    )
    llm_breaker_seconds: float = Field(
        default=60.0, gt=0, description="how long no LLM call is made after that"
    )
    now: datetime | None = Field(
        default=None,
        description="pin the clock, e.g. to replay a historical dataset as if it were today",
    )
    now_since: datetime | None = Field(
        default=None,
        description="with now: the real time at which now held; the clock runs on from it "
        "(as `tactful serve` sets it, so that waiting times grow)",
    )

    @field_validator("now", "now_since", mode="before")
    @classmethod
    def _naive_utc(cls, value: object) -> object:
        # Stored times are naive UTC, and an aware "now" cannot be compared with them.
        if isinstance(value, datetime):
            return as_naive_utc(value)
        if not isinstance(value, str):
            return value
        text = value.strip()
        if not text:
            return None  # TACTFUL_NOW= (set but empty) means the real clock
        try:
            return parse_time(text)
        except ValueError as exc:
            reason = str(exc)
        try:
            return datetime.fromtimestamp(float(text), UTC).replace(tzinfo=None)
        except (ValueError, OverflowError, OSError):
            raise ValueError(f"{reason}; seconds since 1970 (1323475200) work too") from None

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def sql_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'tactful.db'}"
