"""``python -m agent.cli``: the same as the ``tactful`` command."""

from agent.cli.main import main

main()
