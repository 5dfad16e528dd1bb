"""The console's only way to the server: the staff routes of the HTTP API.

Every failure becomes a :class:`ConsoleError` with a title and a sentence a person can act
on, so the app shows a toast instead of a traceback: the server unreachable, the staff
token refused, a shopper or hand-over gone (erased, say), or a request the server turned
down with its own message.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, Protocol

import httpx
from pydantic import TypeAdapter

from tui.models import (
    AuditRecord,
    CuratedList,
    CuratedListDraft,
    Escalation,
    EscalationDetail,
    Experiment,
    ExperimentReport,
    Profile,
    QueueEntry,
    ShopperMatch,
    Turn,
)

_QUEUE = TypeAdapter(list[QueueEntry])
_AUDIT = TypeAdapter(list[AuditRecord])
_MATCHES = TypeAdapter(list[ShopperMatch])
_LISTS = TypeAdapter(list[CuratedList])
_EXPERIMENTS = TypeAdapter(list[Experiment])


class ConsoleError(Exception):
    """A failure the console shows as a toast."""

    title = "Something went wrong"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ServerUnreachable(ConsoleError):
    title = "Server unreachable"


class TokenRefused(ConsoleError):
    """401: the staff token is expired, revoked or was never valid."""

    title = "Staff token refused"


class Gone(ConsoleError):
    """404: the shopper, conversation or hand-over is no longer there."""

    title = "No longer there"


class Refused(ConsoleError):
    """Any other refusal, with the server's own message."""

    title = "Not done"


class StaffApi(Protocol):
    """What the console asks of the server; tests hand the app a fake of this."""

    url: str

    def queue_events(self) -> AsyncIterator[list[QueueEntry]]: ...
    async def escalation(self, escalation_id: str) -> EscalationDetail: ...
    async def profile(self, shopper_id: str) -> Profile: ...
    async def audit(self, shopper_id: str) -> list[AuditRecord]: ...
    async def claim(self, escalation_id: str) -> Escalation: ...
    async def reply(self, escalation_id: str, text: str) -> Turn: ...
    async def hand_back(self, escalation_id: str) -> Escalation: ...
    async def resolve(self, escalation_id: str, note: str | None) -> Escalation: ...
    async def retract_fact(self, shopper_id: str, fact_id: str, reason: str) -> None: ...
    async def correct_fact(self, shopper_id: str, fact_id: str, text: str, reason: str) -> None: ...
    async def find_shoppers(self, query: str) -> list[ShopperMatch]: ...
    async def curated_lists(self) -> list[CuratedList]: ...
    async def create_list(self, draft: CuratedListDraft) -> CuratedList: ...
    async def replace_list(self, list_id: str, draft: CuratedListDraft) -> CuratedList: ...
    async def delete_list(self, list_id: str) -> None: ...
    async def experiments(self) -> list[Experiment]: ...
    async def experiment_report(self, key: str) -> ExperimentReport: ...
    async def aclose(self) -> None: ...


class StaffClient:
    """:class:`StaffApi` over HTTP with a staff token."""

    def __init__(
        self, url: str, token: str, *, http: httpx.AsyncClient | None = None, timeout: float = 10
    ) -> None:
        self.url = url.rstrip("/")
        self._http = http or httpx.AsyncClient(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}"},
            # Reads may wait on a stream for long; connecting may not.
            timeout=httpx.Timeout(timeout, read=None),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from None
        _raise_for(response)
        # A 204 (a deletion) has no body to read.
        return response.json() if response.content else None

    def _unreachable(self, exc: Exception) -> ServerUnreachable:
        return ServerUnreachable(
            f"Cannot reach the tactful server at {self.url} ({type(exc).__name__})."
        )

    async def queue_events(self) -> AsyncIterator[list[QueueEntry]]:
        """The open hand-overs now, then again at every change, until the stream ends."""
        try:
            async with self._http.stream("GET", "/v1/escalations/watch") as response:
                if response.status_code >= 400:
                    await response.aread()
                    _raise_for(response)
                async for name, data in _events(response.aiter_lines()):
                    if name == "queue":
                        yield _QUEUE.validate_python(data)
                    elif name == "error":
                        raise Refused(data["error"]["message"])
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from None
        # A stream that ends is a server going away; the caller reconnects.
        raise ServerUnreachable(f"The tactful server at {self.url} closed the live queue.")

    async def escalation(self, escalation_id: str) -> EscalationDetail:
        return EscalationDetail.model_validate(
            await self._call("GET", f"/v1/escalations/{escalation_id}")
        )

    async def profile(self, shopper_id: str) -> Profile:
        return Profile.model_validate(await self._call("GET", f"/v1/shoppers/{shopper_id}/profile"))

    async def audit(self, shopper_id: str) -> list[AuditRecord]:
        return _AUDIT.validate_python(await self._call("GET", f"/v1/shoppers/{shopper_id}/audit"))

    async def claim(self, escalation_id: str) -> Escalation:
        return Escalation.model_validate(
            await self._call("POST", f"/v1/escalations/{escalation_id}/claim")
        )

    async def reply(self, escalation_id: str, text: str) -> Turn:
        said = await self._call(
            "POST", f"/v1/escalations/{escalation_id}/messages", json={"text": text}
        )
        return Turn.model_validate(said)

    async def hand_back(self, escalation_id: str) -> Escalation:
        return Escalation.model_validate(
            await self._call("POST", f"/v1/escalations/{escalation_id}/hand-back")
        )

    async def resolve(self, escalation_id: str, note: str | None) -> Escalation:
        body = {"note": note} if note else {}
        return Escalation.model_validate(
            await self._call("POST", f"/v1/escalations/{escalation_id}/resolve", json=body)
        )

    async def retract_fact(self, shopper_id: str, fact_id: str, reason: str) -> None:
        path = f"/v1/shoppers/{shopper_id}/facts/{fact_id}"
        await self._call("DELETE", path, params={"reason": reason})

    async def correct_fact(self, shopper_id: str, fact_id: str, text: str, reason: str) -> None:
        path = f"/v1/shoppers/{shopper_id}/facts/{fact_id}"
        await self._call("PUT", path, json={"text": text, "reason": reason})

    async def find_shoppers(self, query: str) -> list[ShopperMatch]:
        return _MATCHES.validate_python(
            await self._call("GET", "/v1/shoppers", params={"q": query})
        )

    async def curated_lists(self) -> list[CuratedList]:
        return _LISTS.validate_python(await self._call("GET", "/v1/curated-lists"))

    async def create_list(self, draft: CuratedListDraft) -> CuratedList:
        """Make a list named after ``draft.name``; :class:`Refused` when that name is taken,
        :class:`Gone` naming any item the catalog does not have."""
        body = draft.model_dump(mode="json")
        return CuratedList.model_validate(await self._call("POST", "/v1/curated-lists", json=body))

    async def replace_list(self, list_id: str, draft: CuratedListDraft) -> CuratedList:
        """Replace list ``list_id``'s name, items, targets and dates; its id stays."""
        body = draft.model_dump(mode="json")
        return CuratedList.model_validate(
            await self._call("PUT", f"/v1/curated-lists/{list_id}", json=body)
        )

    async def delete_list(self, list_id: str) -> None:
        await self._call("DELETE", f"/v1/curated-lists/{list_id}")

    async def experiments(self) -> list[Experiment]:
        return _EXPERIMENTS.validate_python(await self._call("GET", "/v1/experiments"))

    async def experiment_report(self, key: str) -> ExperimentReport:
        return ExperimentReport.model_validate(
            await self._call("GET", f"/v1/experiments/{key}/report")
        )


def _raise_for(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = f"The server answered {response.status_code}."
    if response.status_code == 401:
        raise TokenRefused(
            f"{message} Ask for a new staff token (tactful keys create --kind staff) "
            "and start the console with it."
        )
    if response.status_code == 404:
        raise Gone(message)
    if response.status_code >= 500:
        raise ServerUnreachable(f"The server failed: {message}")
    raise Refused(message)


async def _events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, Any]]:
    """Server-Sent Events as (name, parsed JSON data); comments are skipped."""
    name, data = "message", list[str]()
    async for line in lines:
        if not line:
            if data:
                yield name, json.loads("\n".join(data))
            name, data = "message", []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
