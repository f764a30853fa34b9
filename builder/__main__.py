"""`python -m builder`: the command line (see builder.cli)."""

from builder.cli import run

run()
