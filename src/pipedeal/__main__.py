"""``python -m pipedeal``: the same command line as ``pipedeal``."""

from pipedeal.cli import main

main()
