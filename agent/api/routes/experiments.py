"""Curated lists and experiments for the shop's staff, and the exposure beacon.

Staff (or the shop's backend) make lists and run experiments; the readout is JSON or a
PNG. The widget, or the shop's page, confirms that a list it was given is on screen with
``POST /v1/exposures/{id}/shown``: only lists a shopper saw count in the readout.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from agent.api.deps import AgentDep, ShopperSide, StaffUser
from agent.experiments.curation import CuratedList, CuratedListDraft
from agent.experiments.model import Arm, Experiment, ExperimentDraft
from agent.experiments.report import ExperimentReport, plot

router = APIRouter(tags=["experiments"])


class ExperimentCreate(ExperimentDraft):
    start: bool = Field(default=False, description="run it at once")


class WeightsUpdate(BaseModel):
    weights: dict[Arm, float] = Field(examples=[{"ai": 2, "curated": 1, "hybrid": 1}])


@router.get("/v1/curated-lists")
def lists(agent: AgentDep, _caller: StaffUser) -> list[CuratedList]:
    """Every curated list, by id."""
    with agent.use() as tactful:
        tactful.sync()
        return tactful.experiments.lists()


@router.post("/v1/curated-lists", status_code=201)
def create_list(agent: AgentDep, caller: StaffUser, body: CuratedListDraft) -> CuratedList:
    """Make a list; its id comes from its name (409 when that is taken)."""
    with agent.use() as tactful:
        return tactful.save_list(body, actor=caller.actor)


@router.get("/v1/curated-lists/{list_id}")
def get_list(agent: AgentDep, _caller: StaffUser, list_id: str) -> CuratedList:
    with agent.use() as tactful:
        return tactful.experiments.get_list(list_id)


@router.put("/v1/curated-lists/{list_id}")
def replace_list(
    agent: AgentDep, caller: StaffUser, list_id: str, body: CuratedListDraft
) -> CuratedList:
    """Replace a list's items, targets and dates; its id stays."""
    with agent.use() as tactful:
        return tactful.save_list(body, actor=caller.actor, list_id=list_id)


@router.delete("/v1/curated-lists/{list_id}", status_code=204)
def delete_list(agent: AgentDep, _caller: StaffUser, list_id: str) -> Response:
    with agent.use() as tactful:
        tactful.experiments.delete_list(list_id)
    return Response(status_code=204)


@router.get("/v1/experiments")
def experiments(agent: AgentDep, _caller: StaffUser) -> list[Experiment]:
    with agent.use() as tactful:
        return tactful.experiments.experiments()


@router.post("/v1/experiments", status_code=201)
def create_experiment(agent: AgentDep, _caller: StaffUser, body: ExperimentCreate) -> Experiment:
    """Make an experiment (409 when the key is taken); ``start`` runs it at once."""
    with agent.use() as tactful:
        made = tactful.experiments.create(ExperimentDraft(**body.model_dump(exclude={"start"})))
        return tactful.experiments.start(made.key) if body.start else made


@router.get("/v1/experiments/{key}")
def experiment(agent: AgentDep, _caller: StaffUser, key: str) -> Experiment:
    with agent.use() as tactful:
        return tactful.experiments.get(key)


@router.post("/v1/experiments/{key}/start")
def start(agent: AgentDep, _caller: StaffUser, key: str) -> Experiment:
    """Run it (409 while another runs)."""
    with agent.use() as tactful:
        return tactful.experiments.start(key)


@router.post("/v1/experiments/{key}/stop")
def stop(agent: AgentDep, _caller: StaffUser, key: str) -> Experiment:
    with agent.use() as tactful:
        return tactful.experiments.stop(key)


@router.post("/v1/experiments/{key}/restart")
def restart(agent: AgentDep, _caller: StaffUser, key: str) -> Experiment:
    """A new bucket version: everyone is assigned afresh and the readout starts over."""
    with agent.use() as tactful:
        return tactful.experiments.restart(key)


@router.put("/v1/experiments/{key}/weights")
def weights(agent: AgentDep, _caller: StaffUser, key: str, body: WeightsUpdate) -> Experiment:
    """New weights for shoppers not yet assigned; those assigned keep their arm."""
    with agent.use() as tactful:
        return tactful.experiments.set_weights(key, body.weights)


@router.get("/v1/experiments/{key}/report")
def report(agent: AgentDep, _caller: StaffUser, key: str) -> ExperimentReport:
    """Per-arm values with 95 % intervals, lifts over the control (fixed and always-valid
    intervals), the sample-ratio check, guardrails and the verdict."""
    with agent.use() as tactful:
        return tactful.experiment_report(key)


@router.get(
    "/v1/experiments/{key}/report.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
def report_plot(agent: AgentDep, _caller: StaffUser, key: str) -> Response:
    """The lifts over the control with their 95 % intervals, drawn."""
    with agent.use() as tactful:
        found = tactful.experiment_report(key)
    with tempfile.TemporaryDirectory() as folder:
        png = plot(found, Path(folder) / "report.png").read_bytes()
    return Response(content=png, media_type="image/png")


@router.post("/v1/exposures/{exposure_id}/shown", status_code=204)
def shown(agent: AgentDep, caller: ShopperSide, exposure_id: str) -> Response:
    """The suggestions of this exposure (``exposure_id`` of a chat reply or of
    recommendations) are on the shopper's screen; only the first call counts."""
    with agent.use() as tactful:
        tactful.exposure_shown(exposure_id, shopper_id=caller.shopper_id)
    return Response(status_code=204)
