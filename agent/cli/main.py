"""The ``tactful`` command line: load data, ask for suggestions, chat, and control profiles."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from agent.cli import asking, profiles
from agent.cli.console import console
from agent.cli.events import events_app
from agent.cli.experiments import curate_app, experiments_app
from agent.cli.home import HomeOption, settings_for
from agent.cli.keys import keys_app
from agent.cli.loading import import_app, ingest_app
from agent.cli.refresh import refresh
from agent.cli.reindex import reindex
from agent.cli.render import clean, say_error
from agent.cli.serve import serve
from agent.cli.tune import tune
from agent.errors import InvalidInput, TactfulError

T = TypeVar("T")


# Typer carries its own copy of click (since 0.26), whose errors are not the click
# package's; reach their base through a class typer exports, whichever click it runs on.
_ClickError: type[Any] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)


class _Commands(typer.core.TyperGroup):
    """Every command: a user mistake becomes one line on stderr and an exit code."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        for arg in args:
            if any("\ud800" <= ch <= "\udfff" for ch in arg):
                # Bytes that are not UTF-8 reach Python as lone surrogates, which no
                # store can keep and no terminal should be sent.
                raise typer.BadParameter(f"the argument {arg!r} is not UTF-8 text.")
        return _with_clean_usage_errors(super().parse_args, ctx, args)

    def invoke(self, ctx: Any) -> Any:
        try:
            return _with_clean_usage_errors(super().invoke, ctx)
        except TactfulError as exc:
            say_error(exc)
            raise typer.Exit(exc.exit_code) from None


def _with_clean_usage_errors(call: Callable[..., T], *args: Any) -> T:
    # Usage errors repeat what was typed ("No such option: …"); typed text is data too.
    try:
        return call(*args)
    except _ClickError as exc:
        exc.message = clean(exc.message)
        raise


app = typer.Typer(
    cls=_Commands,
    help="tactful: a conversational preference agent that personalizes with tact.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(ingest_app, name="ingest")
app.add_typer(import_app, name="import")
app.add_typer(events_app, name="events")
app.add_typer(keys_app, name="keys")
app.add_typer(curate_app, name="curate")
app.add_typer(experiments_app, name="experiments")
app.command()(asking.recommend)
app.command()(asking.chat)
app.command()(profiles.profile)
app.command()(profiles.forget)
app.command()(profiles.export)
app.command()(profiles.erase)
app.command()(serve)
app.command()(refresh)
app.command()(tune)
app.command()(reindex)
app.command()(console)


@app.command("eval")
def evaluate(
    what: Annotated[
        str, typer.Argument(help="ranking | tact | speed | conversation | experiments | llm | all")
    ] = "all",
    quick: Annotated[bool, typer.Option(help="A small slice: checks the harness works.")] = False,
    soak: Annotated[
        bool,
        typer.Option(
            help="With speed: ten minutes of mixed load at two workers instead (40 s with "
            "--quick), into bench/results/soak.json and bench/RESULTS.md."
        ),
    ] = False,
    brain: Annotated[
        str,
        typer.Option(
            help="offline | llm: with llm, conversation reads the labelled utterances with the "
            "LLM brain too (TACTFUL_LLM_MODEL must name a model)."
        ),
    ] = "offline",
) -> None:
    """Run the evaluation harness and benchmarks; results go to bench/RESULTS.md."""
    # The benchmarks ship with the source checkout, not the package: run them there, in
    # their own process, so the library never imports them.
    checkout = Path(__file__).resolve().parents[2]
    if not (checkout / "bench" / "__main__.py").is_file():
        raise TactfulError(
            "The benchmarks live in the source checkout's bench/ folder; "
            "install tactful from a checkout (pip install -e .) to run them."
        )
    command = [
        sys.executable,
        "-m",
        "bench",
        what,
        *(["--quick"] if quick else []),
        *(["--brain", brain] if brain != "offline" else []),
    ]
    if soak:
        if what != "speed" or brain != "offline":
            raise InvalidInput(
                "--soak is a speed benchmark: use it as `tactful eval speed --soak`."
            )
        # Straight to the speed benchmark's own entry: the soak is not part of `eval all`.
        command = [sys.executable, "-m", "bench.speed.run", "--soak"]
        command += ["--quick"] if quick else []
    finished = subprocess.run(command, cwd=checkout, check=False)
    if finished.returncode:
        raise typer.Exit(finished.returncode)


@app.command()
def demo(home: HomeOption = None) -> None:
    """Load the bundled Online Retail subset and chat as one of its real customers."""
    from agent.cli.demo import run_demo

    run_demo(settings_for(home))


def main() -> None:
    """Entry point: user mistakes print a clear message and a non-zero exit, no traceback."""
    app()
