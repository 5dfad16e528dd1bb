"""What an erasure removes, counted by kind and said in words."""

from __future__ import annotations

from pydantic import BaseModel, Field

from agent import wording


class ErasureReport(BaseModel):
    """What was erased about a shopper (or, asked before erasing, what is held)."""

    conversations: int = 0
    messages: int = Field(default=0, description="turns of those conversations, both sides")
    facts: int = Field(default=0, description="preference facts, any status")
    events: dict[str, int] = Field(default_factory=dict, description="by kind, e.g. purchase")
    questions: int = 0
    feedback: int = 0
    satisfaction: int = Field(default=0, description="satisfaction ratings of conversations")
    escalations: int = 0
    exposures: int = Field(default=0, description="lists shown in experiments")
    assignments: int = Field(default=0, description="experiment arms they were in")
    exports: int = Field(default=0, description="export files deleted from the data folder")
    audit_token: str | None = Field(
        default=None,
        description="the random stand-in the shopper's audit rows now carry instead of the id",
    )

    def counts(self) -> dict[str, int]:
        """Every count by kind, events split by their kind, in the order they are told."""
        return {
            "conversations": self.conversations,
            "messages": self.messages,
            "facts": self.facts,
            **self.events,
            "questions": self.questions,
            "feedback": self.feedback,
            "satisfaction": self.satisfaction,
            "escalations": self.escalations,
            "exposures": self.exposures,
            "assignments": self.assignments,
            "exports": self.exports,
        }

    def summary(self) -> str:
        """ "3 conversations, 1 stated preference and 179 purchases"; zero counts left out."""
        return wording.counts(self.counts())
