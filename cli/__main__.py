"""`python -m cli`: the carbonflow command (how `worker --processes N` starts its children)."""
from cli.main import main

main()
