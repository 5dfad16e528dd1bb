"""Curated lists and experiments as the shop runs them: made, started, assigned, shown.

At most one experiment runs at a time, so a shopper's list comes from one arm. A shopper
is assigned the first time they are served while it runs, by GrowthBook's hash of the
experiment key and their id under the weights in force, and the arm is stored: a
weight change reshapes only where new shoppers go, and a restart (a new bucket version)
assigns everyone afresh. Lists and the running experiment are held in memory and dropped
when the change feed says another process changed them.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Sequence

from agent.clock import Clock
from agent.errors import Conflict, InvalidInput, UnknownExperiment, UnknownList
from agent.experiments.bucketing import assign
from agent.experiments.curation import (
    CuratedList,
    CuratedListDraft,
    ListContext,
    choose_list,
    slug,
)
from agent.experiments.model import (
    PERSONALIZATION_OFF,
    Arm,
    Experiment,
    ExperimentDraft,
    ExperimentStatus,
    ExposedItem,
    Exposure,
    Source,
    check_weights,
)
from agent.experiments.report import ExperimentReport
from agent.stores.records import RecordStore
from agent.stores.sql.experiments import ExperimentStore
from tools.types import FactorName, Suggestion

_UNREAD = object()


class Experiments:
    """The shop's curated lists and experiments, over their SQL store."""

    def __init__(self, store: ExperimentStore, clock: Clock) -> None:
        self.store = store
        self._clock = clock
        self._guard = threading.Lock()
        self._lists: list[CuratedList] | None = None
        self._running: Experiment | object | None = _UNREAD
        self._arms: dict[str, Arm] = {}
        self._logged: Counter[tuple[str, str]] = Counter()
        # Its own lock: read after every request, never behind a store read.
        self._counting = threading.Lock()

    def exposures_logged(self) -> dict[tuple[str, str], int]:
        """How many exposures this process logged since it started, by experiment and arm
        (operators' metrics; the exposures themselves are in the store)."""
        with self._counting:
            return dict(self._logged)

    def invalidate(self) -> None:
        """Forget what is held: another process changed lists or experiments, or erased
        a shopper."""
        with self._guard:
            self._lists = None
            self._running = _UNREAD
            self._arms = {}

    # -- curated lists ----------------------------------------------------------------
    def lists(self) -> list[CuratedList]:
        with self._guard:
            if self._lists is None:
                self._lists = self.store.lists()
            return list(self._lists)

    def get_list(self, list_id: str) -> CuratedList:
        found = self.store.get_list(list_id)
        if found is None:
            raise UnknownList(f"No curated list {list_id!r}; `tactful curate list` shows them.")
        return found

    def save_list(
        self, draft: CuratedListDraft, *, actor: str, list_id: str | None = None
    ) -> CuratedList:
        """Make a list (``list_id`` None: named after it) or replace list ``list_id``."""
        now = self._clock.now()
        if list_id is None:
            made = CuratedList(
                list_id=slug(draft.name),
                created_by=actor,
                created_at=now,
                updated_at=now,
                **draft.model_dump(),
            )
            if not self.store.save_list(made, replace=False):
                raise Conflict(
                    f"A list with id {made.list_id!r} exists: give another name, or replace it."
                )
        else:
            old = self.get_list(list_id)
            made = CuratedList(
                list_id=list_id,
                created_by=old.created_by,
                created_at=old.created_at,
                updated_at=now,
                **draft.model_dump(),
            )
            self.store.save_list(made, replace=True)
        self.invalidate()
        return made

    def delete_list(self, list_id: str) -> None:
        if not self.store.delete_list(list_id, self._clock.now()):
            raise UnknownList(f"No curated list {list_id!r}.")
        self.invalidate()

    def list_for(self, context: ListContext) -> CuratedList | None:
        return choose_list(self.lists(), context, self._clock.now())

    # -- experiments ------------------------------------------------------------------
    def experiments(self) -> list[Experiment]:
        return self.store.experiments()

    def get(self, key: str) -> Experiment:
        found = self.store.get_experiment(key)
        if found is None:
            raise UnknownExperiment(
                f"No experiment {key!r}; `tactful experiments list` shows them."
            )
        return found

    def create(self, draft: ExperimentDraft) -> Experiment:
        if draft.control not in draft.weights:
            raise InvalidInput(f"The control arm {draft.control.value!r} is not one of the arms.")
        now = self._clock.now()
        made = Experiment(**draft.model_dump(), weights_history=[draft.weights], created_at=now)
        if not self.store.save_experiment(made, new=True, at=now):
            raise Conflict(f"An experiment {draft.key!r} exists already.")
        return made

    def start(self, key: str) -> Experiment:
        experiment = self.get(key)
        running = self.running()
        if running is not None and running.key != key:
            raise Conflict(
                f"Experiment {running.key!r} is running: stop it first, so that each "
                "shopper's list comes from one arm."
            )
        now = self._clock.now()
        return self._save(
            experiment,
            status=ExperimentStatus.RUNNING,
            started_at=experiment.started_at or now,
            stopped_at=None,
        )

    def stop(self, key: str) -> Experiment:
        return self._save(
            self.get(key), status=ExperimentStatus.STOPPED, stopped_at=self._clock.now()
        )

    def set_weights(self, key: str, weights: dict[Arm, float]) -> Experiment:
        """New weights for shoppers not yet assigned; those assigned keep their arm."""
        experiment = self.get(key)
        try:
            weights = check_weights(weights)
        except ValueError as exc:
            raise InvalidInput(f"Bad weights: {exc}.") from None
        if set(weights) != set(experiment.weights):
            raise InvalidInput(
                "Weights must name the same arms: "
                + ", ".join(a.value for a in experiment.weights)
                + ". Make a new experiment for other arms."
            )
        return self._save(
            experiment,
            weights=weights,
            weights_history=[*experiment.weights_history, weights],
        )

    def restart(self, key: str) -> Experiment:
        """A new bucket version: everyone is assigned afresh, and the readout starts over."""
        experiment = self.get(key)
        return self._save(
            experiment,
            bucket_version=experiment.bucket_version + 1,
            weights_history=[experiment.weights],
            started_at=self._clock.now() if experiment.status is ExperimentStatus.RUNNING else None,
        )

    def _save(self, experiment: Experiment, **changes: object) -> Experiment:
        updated = experiment.model_copy(update=changes)
        self.store.save_experiment(updated, new=False, at=self._clock.now())
        self.invalidate()
        return updated

    def running(self) -> Experiment | None:
        with self._guard:
            if self._running is _UNREAD:
                running = [
                    e for e in self.store.experiments() if e.status is ExperimentStatus.RUNNING
                ]
                self._running = running[0] if running else None
            return self._running  # type: ignore[return-value]

    # -- serving ----------------------------------------------------------------------
    def arm_for(self, shopper_id: str, personalized: bool) -> str | None:
        """The arm whose list the shopper gets: None when no experiment runs, and
        :data:`PERSONALIZATION_OFF` for a shopper who switched personalization off
        (never assigned while it is off)."""
        experiment = self.running()
        if experiment is None:
            return None
        if not personalized:
            return PERSONALIZATION_OFF
        held = self._arms.get(shopper_id)
        if held is not None:
            return held.value
        arm = self.store.assignment(experiment, shopper_id)
        if arm is None:
            arms = experiment.arms
            drawn = arms[assign(experiment.key, shopper_id, [experiment.weights[a] for a in arms])]
            arm = self.store.assign(experiment, shopper_id, drawn, self._clock.now())
        with self._guard:
            self._arms[shopper_id] = arm
        return arm.value

    def expose(
        self,
        shopper_id: str,
        suggestions: Sequence[Suggestion],
        *,
        personalized: bool,
        conversation_id: str | None = None,
        shown: bool = False,
    ) -> str | None:
        """Log a list served while an experiment runs; its id, or None when none runs or
        the list is empty. It counts once the shop says it was on screen (:meth:`shown`),
        or at once with ``shown``."""
        experiment = self.running()
        arm = self.arm_for(shopper_id, personalized)
        if experiment is None or arm is None or not suggestions:
            return None
        now = self._clock.now()
        exposure = Exposure(
            exposure_id=f"ex-{uuid.uuid4().hex[:16]}",
            experiment_key=experiment.key,
            bucket_version=experiment.bucket_version,
            shopper_id=shopper_id,
            arm=arm,
            at=now,
            shown_at=now if shown else None,
            conversation_id=conversation_id,
            items=[
                ExposedItem(item_id=s.item.item_id, position=n, source=source_of(s))
                for n, s in enumerate(suggestions, start=1)
            ],
        )
        self.store.add_exposure(exposure)
        with self._counting:
            self._logged[(experiment.key, arm)] += 1
        return exposure.exposure_id

    def shown(self, exposure_id: str, *, shopper_id: str | None = None) -> None:
        """The list of ``exposure_id`` is on the shopper's screen (only the first call
        counts)."""
        if not self.store.mark_shown(exposure_id, shopper_id, self._clock.now()):
            raise InvalidInput(f"No exposure {exposure_id!r}.")

    def report(
        self, key: str, records: RecordStore, prices: Callable[[str], float | None]
    ) -> ExperimentReport:
        """The readout of experiment ``key`` from the lists shown so far."""
        # The statistics libraries take a second to load: only a readout needs them.
        from agent.experiments import readout

        experiment = self.get(key)
        shown = self.store.exposures(key, experiment.bucket_version)
        exposed = {e.shopper_id for e in shown if e.arm != PERSONALIZATION_OFF}
        return readout.build(
            experiment,
            readout.shopper_records(records, shown),
            self.store.assignment_counts(experiment, exposed),
            prices,
            self._clock.now(),
        )


def source_of(suggestion: Suggestion) -> Source:
    return Source.CURATED if suggestion.factor(FactorName.CURATED) else Source.AI
