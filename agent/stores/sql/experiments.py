"""Curated lists, experiments, who is in which arm, and what each shopper was shown.

A list's items and an exposure's items are kept as JSON in their row: they are read and
written whole, a list holds at most a hundred, and no query looks inside them. Every
change to a list or an experiment goes on the change feed, so each process serving
answers drops what it holds of them before its next answer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from agent.domain import EscalationCause, EventKind, FeedbackValue, QuestionStatus
from agent.experiments.curation import CuratedItem, CuratedList, ListTarget
from agent.experiments.metrics import CORRECTION, OUTCOME_KINDS, Outcome, ShopperRecord
from agent.experiments.model import Arm, Experiment, ExposedItem, Exposure
from agent.stores.sql import audit, changes
from agent.stores.sql.base import ID, KIND, chunks, dump_json, metadata, utc
from agent.stores.sql.changes import ChangeKind
from agent.stores.sql.ratings import satisfaction

curated_lists = sa.Table(
    "curated_lists",
    metadata,
    sa.Column("list_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("items", sa.Text, nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("valid_from", sa.DateTime, nullable=True),
    sa.Column("valid_until", sa.DateTime, nullable=True),
    sa.Column("created_by", sa.String(128), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

experiments = sa.Table(
    "experiments",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", KIND, nullable=False, index=True),
)

assignments = sa.Table(
    "assignments",
    metadata,
    sa.Column("experiment_key", sa.String(64), primary_key=True),
    sa.Column("bucket_version", sa.Integer, primary_key=True),
    sa.Column("shopper_id", ID, primary_key=True),
    sa.Column("arm", KIND, nullable=False),
    # Index into the experiment's weights history: the weights the shopper was drawn by.
    sa.Column("period", sa.Integer, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Index("ix_assignments_shopper", "shopper_id"),
)

exposures = sa.Table(
    "exposures",
    metadata,
    sa.Column("exposure_id", ID, primary_key=True),
    sa.Column("experiment_key", sa.String(64), nullable=False),
    sa.Column("bucket_version", sa.Integer, nullable=False),
    sa.Column("shopper_id", ID, nullable=False, index=True),
    sa.Column("arm", KIND, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("shown_at", sa.DateTime, nullable=True),
    sa.Column("conversation_id", ID, nullable=True),
    sa.Column("items", sa.Text, nullable=False),
    sa.Index("ix_exposures_experiment", "experiment_key", "bucket_version"),
)


class ExperimentStore:
    """Reads and writes the four tables; every write in one transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # -- curated lists ----------------------------------------------------------------
    def save_list(self, lst: CuratedList, *, replace: bool) -> bool:
        """Store a list; False when one with its id exists and ``replace`` is not set."""
        row = {
            "list_id": lst.list_id,
            "name": lst.name,
            "items": dump_json([i.model_dump() for i in lst.items]),
            "target": lst.target.model_dump_json(),
            "valid_from": _naive(lst.valid_from),
            "valid_until": _naive(lst.valid_until),
            "created_by": lst.created_by,
            "created_at": utc(lst.created_at),
            "updated_at": utc(lst.updated_at),
        }
        try:
            with self._engine.begin() as conn:
                if replace:
                    conn.execute(
                        sa.delete(curated_lists).where(curated_lists.c.list_id == lst.list_id)
                    )
                conn.execute(sa.insert(curated_lists).values(row))
                _changed(conn, lst.updated_at)
        except IntegrityError:
            return False
        return True

    def lists(self) -> list[CuratedList]:
        query = sa.select(curated_lists).order_by(curated_lists.c.list_id)
        with self._engine.connect() as conn:
            return [_list(row) for row in conn.execute(query)]

    def get_list(self, list_id: str) -> CuratedList | None:
        query = sa.select(curated_lists).where(curated_lists.c.list_id == list_id)
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _list(row)

    def delete_list(self, list_id: str, at: datetime) -> bool:
        with self._engine.begin() as conn:
            gone = conn.execute(
                sa.delete(curated_lists).where(curated_lists.c.list_id == list_id)
            ).rowcount
            if gone:
                _changed(conn, at)
        return bool(gone)

    # -- experiments ------------------------------------------------------------------
    def save_experiment(self, experiment: Experiment, *, new: bool, at: datetime) -> bool:
        """Store an experiment; False when ``new`` and its key is taken."""
        body = experiment.model_dump_json()
        try:
            with self._engine.begin() as conn:
                if new:
                    conn.execute(
                        sa.insert(experiments).values(
                            key=experiment.key, body=body, status=experiment.status.value
                        )
                    )
                else:
                    conn.execute(
                        sa.update(experiments)
                        .where(experiments.c.key == experiment.key)
                        .values(body=body, status=experiment.status.value)
                    )
                _changed(conn, at)
        except IntegrityError:
            return False
        return True

    def experiments(self) -> list[Experiment]:
        query = sa.select(experiments.c.body).order_by(experiments.c.key)
        with self._engine.connect() as conn:
            return [Experiment.model_validate_json(body) for body in conn.scalars(query)]

    def get_experiment(self, key: str) -> Experiment | None:
        query = sa.select(experiments.c.body).where(experiments.c.key == key)
        with self._engine.connect() as conn:
            body = conn.scalar(query)
        return None if body is None else Experiment.model_validate_json(body)

    # -- assignments ------------------------------------------------------------------
    def assignment(self, experiment: Experiment, shopper_id: str) -> Arm | None:
        query = sa.select(assignments.c.arm).where(
            assignments.c.experiment_key == experiment.key,
            assignments.c.bucket_version == experiment.bucket_version,
            assignments.c.shopper_id == shopper_id,
        )
        with self._engine.connect() as conn:
            arm = conn.scalar(query)
        return None if arm is None else Arm(arm)

    def assign(self, experiment: Experiment, shopper_id: str, arm: Arm, at: datetime) -> Arm:
        """Keep ``arm`` as the shopper's, unless another process assigned them first: the
        arm stored is returned either way, so a shopper never holds two."""
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    sa.insert(assignments).values(
                        experiment_key=experiment.key,
                        bucket_version=experiment.bucket_version,
                        shopper_id=shopper_id,
                        arm=arm.value,
                        period=max(len(experiment.weights_history) - 1, 0),
                        at=utc(at),
                    )
                )
        except IntegrityError:
            stored = self.assignment(experiment, shopper_id)
            if stored is not None:
                return stored
            raise
        return arm

    def assignment_counts(
        self, experiment: Experiment, shoppers: set[str]
    ) -> list[tuple[int, str, int]]:
        """(period, arm, how many) of ``shoppers`` assigned in the current bucket version."""
        query = sa.select(assignments.c.period, assignments.c.arm, assignments.c.shopper_id).where(
            assignments.c.experiment_key == experiment.key,
            assignments.c.bucket_version == experiment.bucket_version,
        )
        counts: dict[tuple[int, str], int] = {}
        with self._engine.connect() as conn:
            for row in conn.execute(query):
                if row.shopper_id in shoppers:
                    counts[(row.period, row.arm)] = counts.get((row.period, row.arm), 0) + 1
        return [(period, arm, n) for (period, arm), n in sorted(counts.items())]

    # -- exposures --------------------------------------------------------------------
    def add_exposure(self, exposure: Exposure) -> None:
        with self._engine.begin() as conn:
            conn.execute(sa.insert(exposures).values(_exposure_row(exposure)))

    def mark_shown(self, exposure_id: str, shopper_id: str | None, at: datetime) -> bool:
        """Record that the list was on screen (the first time counts); False when there is
        no such exposure (of that shopper, when one is given)."""
        where = [exposures.c.exposure_id == exposure_id]
        if shopper_id is not None:
            where.append(exposures.c.shopper_id == shopper_id)
        with self._engine.begin() as conn:
            found = conn.execute(sa.select(exposures.c.shown_at).where(*where)).first()
            if found is None:
                return False
            if found.shown_at is None:
                conn.execute(sa.update(exposures).where(*where).values(shown_at=utc(at)))
        return True

    def exposures(
        self, key: str, bucket_version: int, *, shown_only: bool = True
    ) -> list[Exposure]:
        where = [exposures.c.experiment_key == key, exposures.c.bucket_version == bucket_version]
        if shown_only:
            where.append(exposures.c.shown_at.is_not(None))
        query = sa.select(exposures).where(*where).order_by(exposures.c.at)
        with self._engine.connect() as conn:
            return [_exposure(row) for row in conn.execute(query)]

    def exposures_of(self, shopper_id: str) -> list[Exposure]:
        query = (
            sa.select(exposures)
            .where(exposures.c.shopper_id == shopper_id)
            .order_by(exposures.c.at)
        )
        with self._engine.connect() as conn:
            return [_exposure(row) for row in conn.execute(query)]

    def add_exposures(self, items: Sequence[Exposure]) -> None:
        """Many at once (the simulator's and tests' way in)."""
        if items:
            with self._engine.begin() as conn:
                conn.execute(sa.insert(exposures), [_exposure_row(e) for e in items])


def outcomes(
    engine: Engine, exposures_by_shopper: dict[str, list[Exposure]]
) -> list[ShopperRecord]:
    """What each exposed shopper did from their first list on, read a chunk of shoppers
    at a time: clicks, basket additions and purchases, feedback, ratings, corrections,
    answered or declined questions, and hand-overs."""
    # Imported here: the record tables' module imports this one for erasure.
    from agent.stores.records import escalations, events, feedback, questions

    found = {
        shopper: ShopperRecord(shopper_id=shopper, exposures=held)
        for shopper, held in exposures_by_shopper.items()
    }
    if not found:
        return []
    since = min(e.shown_at or e.at for held in exposures_by_shopper.values() for e in held)
    kinds = [k.value for k in OUTCOME_KINDS]
    with engine.connect() as conn:
        for chunk in chunks(sorted(found)):
            for ev in conn.execute(
                sa.select(events.c.shopper_id, events.c.kind, events.c.item_id, events.c.at,
                          events.c.quantity)
                .where(events.c.shopper_id.in_(chunk), events.c.kind.in_(kinds),
                       events.c.at >= since)
                .order_by(events.c.at, events.c.event_id)
            ):  # fmt: skip
                found[ev.shopper_id].events.append(
                    Outcome(EventKind(ev.kind), ev.item_id, ev.at, ev.quantity)
                )
            for fb in conn.execute(
                sa.select(feedback).where(feedback.c.shopper_id.in_(chunk), feedback.c.at >= since)
                .order_by(feedback.c.id)
            ):  # fmt: skip
                found[fb.shopper_id].feedback.append(
                    (FeedbackValue(fb.value), fb.item_id, fb.conversation_id, fb.at)
                )
            for rt in conn.execute(
                sa.select(satisfaction).where(satisfaction.c.shopper_id.in_(chunk))
            ):
                found[rt.shopper_id].ratings.append((rt.score, rt.conversation_id, rt.at))
            for au in conn.execute(
                sa.select(audit.audit_log.c.shopper_id, audit.audit_log.c.at).where(
                    audit.audit_log.c.shopper_id.in_(chunk),
                    audit.audit_log.c.action == CORRECTION,
                    ~audit.audit_log.c.actor.startswith("staff"),
                )
            ):
                found[au.shopper_id].corrections.append(au.at)
            for qu in conn.execute(
                sa.select(questions).where(
                    questions.c.shopper_id.in_(chunk),
                    questions.c.status.in_(
                        [QuestionStatus.ANSWERED.value, QuestionStatus.DECLINED.value]
                    ),
                )
            ):
                found[qu.shopper_id].questions.append(
                    (QuestionStatus(qu.status), qu.asked_at or qu.created_at)
                )
            for es in conn.execute(
                sa.select(escalations).where(escalations.c.shopper_id.in_(chunk))
            ):
                found[es.shopper_id].escalations.append(
                    (EscalationCause(es.cause), es.conversation_id, es.at)
                )
    return list(found.values())


def _changed(conn: Connection, at: datetime) -> None:
    changes.append(conn, None, ChangeKind.EXPERIMENTS, at)


def _naive(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def _list(row: sa.Row[object]) -> CuratedList:
    m = row._mapping
    return CuratedList(
        list_id=m["list_id"],
        name=m["name"],
        items=[CuratedItem.model_validate(i) for i in json.loads(m["items"])],
        target=ListTarget.model_validate_json(m["target"]),
        valid_from=m["valid_from"],
        valid_until=m["valid_until"],
        created_by=m["created_by"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def _exposure_row(exposure: Exposure) -> dict[str, object]:
    return {
        "exposure_id": exposure.exposure_id,
        "experiment_key": exposure.experiment_key,
        "bucket_version": exposure.bucket_version,
        "shopper_id": exposure.shopper_id,
        "arm": exposure.arm,
        "at": utc(exposure.at),
        "shown_at": _naive(exposure.shown_at),
        "conversation_id": exposure.conversation_id,
        "items": dump_json([i.model_dump(mode="json") for i in exposure.items]),
    }


def _exposure(row: sa.Row[object]) -> Exposure:
    m = row._mapping
    return Exposure(
        exposure_id=m["exposure_id"],
        experiment_key=m["experiment_key"],
        bucket_version=m["bucket_version"],
        shopper_id=m["shopper_id"],
        arm=m["arm"],
        at=m["at"],
        shown_at=m["shown_at"],
        conversation_id=m["conversation_id"],
        items=[ExposedItem.model_validate(i) for i in json.loads(m["items"])],
    )
