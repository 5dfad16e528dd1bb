"""``tactful tune``: fit the ranking to this shop's own history."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from agent.cli.home import HomeOption, JsonOption, open_tactful, progress, settings_for
from agent.cli.render import err, out, print_json
from agent.errors import InvalidInput
from agent.settings import Settings
from agent.tuned_config import Tuning, latest, save, undo

WindowOption = Annotated[
    float,
    typer.Option(
        "--window",
        min=1,
        help="Days at the end of the history held out to score on (what shoppers bought then).",
    ),
]
ShoppersOption = Annotated[
    int,
    typer.Option(
        "--shoppers", min=20, help="Most shoppers scored; more is slower and a little surer."
    ),
]


def tune(
    window: WindowOption = 30.0,
    shoppers: ShoppersOption = 1000,
    seed: Annotated[int, typer.Option(help="Which shoppers are drawn, when there are more.")] = 0,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what tuning finds; keep the settings.")
    ] = False,
    show: Annotated[bool, typer.Option("--show", help="Show the current tuning.")] = False,
    undo_last: Annotated[
        bool, typer.Option("--undo", help="Remove the newest tuning, back to the one before.")
    ] = False,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Fit the ranking and when to ask to this shop's history; recommend and chat use them.

    The last --window days are held out: the ranker learns from what came before and is
    scored on what each shopper bought next, served as `tactful recommend` serves it; the
    ranking is kept only when it beats the built-in defaults there. The question rule is
    fitted on the same customers' first orders after the cut.
    """
    settings = settings_for(home)
    if show and undo_last:
        raise InvalidInput("Choose one of --show and --undo.")
    if show or undo_last:
        _show_or_undo(settings.home, undo_last, as_json)
        return

    explicit_decay = "decay" in settings.model_fields_set
    tuned, eligible = _fit(settings, window, shoppers, seed)
    changed = (
        tuned.ranking_adopted or tuned.new_only_weights is not None or tuned.clarify is not None
    )
    path = save(settings.home, tuned) if changed and not dry_run else None
    if as_json:
        print_json(
            tuned.model_dump(mode="json")
            | {"adopted": tuned.ranking_adopted, "saved_to": str(path) if path else None}
        )
        return
    _print_validation(tuned, eligible)
    if not tuned.ranking_adopted:
        _say("Ranking: the built-in defaults served better on this history; they stay.")
    if path is not None:
        _say(f"Saved to {path}; `tactful recommend`, `chat` and `serve` now use it.")
        if explicit_decay and tuned.ranking_adopted:
            err.print("Note: TACTFUL_DECAY__* is set, and its half-lives win over the tuning's.")
    elif changed:
        _say("Dry run: nothing was saved.")


def _fit(settings: Settings, window: float, shoppers: int, seed: int) -> tuple[Tuning, int]:
    """Tune ranking and questions on the shop's history; the result and how many
    shoppers could have been scored."""
    from agent.policy.calibration import choose, history_cases
    from tools.ranker import MODE_WEIGHTS
    from tools.signals import DecayPolicy
    from tools.tuning.history import NotEnoughHistory, split_history
    from tools.tuning.tuner import ranker_at_cut
    from tools.tuning.tuner import tune as fit_ranking
    from tools.types import EventKind

    # Start from the built-in half-lives unless the operator set their own.
    policy = settings.decay if "decay" in settings.model_fields_set else DecayPolicy()
    with open_tactful(settings) as tactful, progress() as bars:
        catalog = tactful.index.catalog
        if len(catalog) == 0:
            raise InvalidInput("The catalog is empty; load it with `tactful ingest catalog`.")
        task = bars.add_task("Reading the history", total=None)
        countries = tactful.records.shopper_countries()
        try:
            split = split_history(
                tactful.records.event_columns(),
                catalog,
                window_days=window,
                max_shoppers=shoppers,
                seed=seed,
            )
        except NotEnoughHistory as exc:
            raise InvalidInput(str(exc)) from None
        tried = 0

        def on_progress(stage: str) -> None:
            nonlocal tried
            tried += stage == "weights"
            bars.update(task, description=f"Tuning: {_STAGES[stage]} ({tried} weightings tried)")
            bars.advance(task)

        result = fit_ranking(
            split,
            catalog,
            countries=countries,
            policy=policy,
            weights=MODE_WEIGHTS,
            progress=on_progress,
        )
        calibration = None
        if split.kind is EventKind.PURCHASE:  # only choices that can be gifts are asked about
            ranker = ranker_at_cut(
                split, catalog, countries, result.policy, result.weights, result.buy_again
            )
            cases = history_cases(
                split,
                ranker,
                shoppers=QUESTION_SHOPPERS,
                seed=seed,
                progress=lambda: on_progress("questions"),
            )
            calibration = choose(cases)
        bars.update(task, description="Tuned")
    tuned = Tuning(
        created=datetime.now(UTC).replace(tzinfo=None),
        window_days=window,
        cut=split.cut,
        shoppers=result.shoppers,
        trials=result.trials,
        ranking_adopted=result.adopted,
        policy=result.policy,
        weights=result.weights,
        new_only_weights=result.new_only_weights,
        new_only_choice=result.new_only_choice,
        buy_again=result.buy_again,
        validation={name: m.as_dict() for name, m in result.validation.items()},
        clarify=calibration,
    )
    return tuned, split.eligible


def _say(text: str) -> None:
    # Paths and tables are printed as they are: unwrapped, no markup read into them.
    out.print(text, soft_wrap=True, markup=False, highlight=False)


#: Shoppers whose first orders (and a purchase injected for some) calibrate the questions.
QUESTION_SHOPPERS = 300

_STAGES = {
    "weights": "weights",
    "half-lives": "half-lives",
    "serving": "lists as served",
    "baselines": "baselines",
    "questions": "when to ask",
}


def _print_validation(tuned: Tuning, eligible: int | None = None) -> None:
    of = f" (of {eligible:,} who could be)" if eligible is not None else ""
    _say(
        f"Scored on what {tuned.shoppers:,} shoppers{of} bought after {tuned.cut:%Y-%m-%d}, "
        f"the last {tuned.window_days:g} days; {tuned.trials} settings tried."
    )
    whole = {n: m for n, m in tuned.validation.items() if not n.endswith(NEW_ONLY)}
    new = {n: m for n, m in tuned.validation.items() if n.endswith(NEW_ONLY)}
    _print_table(whole, "defaults")
    if new:
        _say(
            "Lists without what each shopper has (`recommend --new-only`), on what was new to them:"
        )
        _print_table(new, f"defaults{NEW_ONLY}")
        _say(f"These lists rank with the {_NEW_ONLY_CHOICES[tuned.new_only_choice or 'tuned']}.")
    _print_questions(tuned)


#: How the validation names the scores of lists without what each shopper has.
NEW_ONLY = " (new only)"
_NEW_ONLY_CHOICES = {
    "tuned": "same weights as the whole list",
    "defaults": "built-in weights",
    "discovery": "weights searched for new things alone",
}


def _print_table(scores: dict[str, dict[str, float]], against: str) -> None:
    base = scores.get(against, {}).get("ndcg@10", 0.0)
    _say(f"{'':<22}{'NDCG@10':>9}{'HR@10':>8}{'vs defaults':>13}")
    for name, metrics in scores.items():
        ratio = metrics["ndcg@10"] / base if base > 0 else float("nan")
        label = name.removesuffix(NEW_ONLY)
        _say(f"{label:<22}{metrics['ndcg@10']:>9.4f}{metrics['hr@10']:>8.4f}{ratio:>12.2f}×")


def _print_questions(tuned: Tuning) -> None:
    rule = tuned.clarify
    if rule is None:
        _say(
            "Questions: the history could not support a rule of its own (too few purchases "
            "that would change what shoppers see); the built-in one stays."
        )
    else:
        how = (
            "when its fit with the history (text, taste, co-purchases, similar shoppers, "
            "category, price) makes it likely someone else's"
            if rule.ask is not None
            else f"when an item is less like the history than {rule.fit_similarity:g} "
            f"and beats under {rule.fit_percentile:.0%} of the catalog on taste"
        )
        _say(
            f"Questions: asked {how}; on {rule.cases:,} first orders and injected purchases, "
            f"{rule.precision:.0%} of the questions were about someone else's, and "
            f"{rule.recall:.0%} of the {rule.consequential_injected} that would change what "
            "was shown were asked about."
        )


def _show_or_undo(home: Path, undo_last: bool, as_json: bool) -> None:
    if undo_last:
        removed = undo(home)
        if removed is None:
            raise InvalidInput("There is no tuning to undo; the built-in defaults are in use.")
        _say(f"Removed {removed}.")
    found = latest(home)
    if found is None:
        if as_json:
            print_json({"tuning": None})
        else:
            _say("No tuning: ranking with the built-in defaults.")
        return
    path, tuned = found
    if as_json:
        print_json({"tuning": str(path)} | tuned.model_dump(mode="json"))
        return
    _say(f"Ranking with {path}, tuned {tuned.created:%Y-%m-%d %H:%M} UTC.")
    _print_validation(tuned)
