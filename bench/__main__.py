"""``python -m bench [ranking|tact|speed|conversation|experiments|llm|all] [--quick]
[--brain llm]``: what ``tactful eval`` runs, from the source checkout (the benchmarks are
not part of the installed package)."""

from __future__ import annotations

import argparse
import sys

from agent.errors import TactfulError
from bench.run import PARTS, run_all


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("what", nargs="?", default="all", help=" | ".join((*PARTS, "all")))
    parser.add_argument("--quick", action="store_true", help="a small slice: checks the harness")
    parser.add_argument(
        "--brain", default="offline", help="offline | llm: who reads the labelled utterances"
    )
    args = parser.parse_args()
    try:
        run_all(args.what, quick=args.quick, brain=args.brain)
    except TactfulError as error:
        print(f"Error: {error}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
