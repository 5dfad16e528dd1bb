""" "What goes with my night light?" on the demo shop: the shopper's own night light is the
one meant, every suggestion was chosen with it, and each count is the shop's."""

from __future__ import annotations

from agent.facade import Tactful
from tools.ranker import PARTNER_REF
from tools.types import CatalogItem, EventKind, FactorName

CHOSEN = {EventKind.PURCHASE, EventKind.CART, EventKind.LIKE, EventKind.RATING}


def test_what_goes_with_an_item_lists_what_its_choosers_chose_too(
    tactful: Tactful, demo_shopper: str
) -> None:
    events = tactful.records.events_for(demo_shopper)
    own = next(
        e
        for e in events
        if e.kind is EventKind.PURCHASE and tactful.item(e.item_id).title == "Rabbit Night Light"
    )

    reply = tactful.chat(demo_shopper, "got anything that goes with my night light?")

    title = tactful.item(own.item_id).title
    assert f'"{title}"' in reply.text and reply.suggestions
    shown = {s.item.item_id for s in reply.suggestions}
    assert own.item_id not in shown
    choosers = _choosers(tactful)
    for suggestion in reply.suggestions:
        factor = suggestion.factor(FactorName.REQUEST)
        assert factor is not None
        [evidence] = [e for e in factor.evidence if e.ref.startswith(PARTNER_REF)]
        assert evidence.ref == f"{PARTNER_REF}{own.item_id}" and evidence.label == title
        both = choosers.get(own.item_id, set()) & choosers.get(suggestion.item.item_id, set())
        # Every shopper counted chose both (returning all of one leaves them out), and the
        # shopper asking is no evidence to themselves.
        kept = _kept_both(tactful, own.item_id, suggestion.item.item_id) - {demo_shopper}
        assert kept <= both - {demo_shopper}
        assert evidence.weight == len(kept) >= 2


def _choosers(tactful: Tactful) -> dict[str, set[str]]:
    """Who ever bought, carted, liked or rated each item for themselves."""
    out: dict[str, set[str]] = {}
    for event in (e for page in tactful.records.iter_events() for e in page):
        if event.kind in CHOSEN and not event.recipient:
            out.setdefault(event.item_id, set()).add(event.shopper_id)
    return out


def _kept_both(tactful: Tactful, first: str, second: str) -> set[str]:
    """The shoppers whose engagement with both items is still positive in the index."""
    index = tactful.index.current(tactful.clock.now())
    catalog = tactful.index.catalog
    columns = index.engagement.tocsc()[:, [catalog.row(first), catalog.row(second)]]
    rows = (columns > 0).sum(axis=1).A1 == 2
    return {index.shopper_ids[r] for r in rows.nonzero()[0]}


def test_nothing_chosen_with_an_item_is_said_rather_than_dressed_up(
    tactful: Tactful, demo_shopper: str
) -> None:
    tactful.ingest_items([CatalogItem(item_id="T-COSY", title="Hedgehog Tea Cosy", price=7.5)])

    reply = tactful.chat(demo_shopper, "what goes with the hedgehog tea cosy?")

    assert reply.no_match and not reply.suggestions
    assert '"hedgehog tea cosy"' in reply.text
