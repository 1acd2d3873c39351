"""The `carbonflow` command line: an entry point over the engine, one module per area of commands.

`cli.main` names every command and imports its module only when that command runs, so a command
loads just what it uses.
"""
