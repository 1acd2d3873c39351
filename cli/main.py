"""The `carbonflow` group: every command by name, each module imported only when its command runs."""
from __future__ import annotations

import importlib

import click

from cli.base import EXIT_HELP, State, refuse_unstorable

# Command name -> "module:function". A new command is one line here and a function in its area's module.
COMMANDS = {
    "init": "cli.processes:init",
    "deploy": "cli.processes:deploy",
    "processes": "cli.processes:processes",
    "schedules": "cli.processes:schedules_",
    "schedule": "cli.processes:schedule",
    "start": "cli.instances:start",
    "instance": "cli.instances:instance",
    "instances": "cli.instances:instances_",
    "suspend": "cli.instances:suspend",
    "resume": "cli.instances:resume",
    "terminate": "cli.instances:terminate",
    "retry": "cli.instances:retry",
    "send-message": "cli.instances:send_message",
    "links": "cli.instances:links",
    "evidence": "cli.instances:evidence_",
    "tasks": "cli.tasks:tasks_",
    "claim": "cli.tasks:claim",
    "unclaim": "cli.tasks:unclaim",
    "delegate": "cli.tasks:delegate",
    "complete": "cli.tasks:complete",
    "audit": "cli.audit:audit",
    "clauses": "cli.audit:clauses_",
    "export": "cli.exports:export",
    "fire-timers": "cli.background:fire_timers",
    "worker": "cli.background:worker",
    "incidents": "cli.background:incidents",
    "job": "cli.background:job",
    "users": "cli.users:users_",
    "add-user": "cli.users:add_user",
    "import-users": "cli.users:import_users",
    "notifications": "cli.users:notifications_",
    "demo-users": "cli.demo:demo_users",
    "demo-data": "cli.demo:demo_data",
    "serve": "cli.serve:serve",
}


class LazyGroup(click.Group):
    """A group whose commands are imported when they are looked up (click's documented lazy-loading pattern)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Checked once here for every command: no database stores a NUL character, or bytes that are not UTF-8.
        for number, arg in enumerate(args, 1):
            refuse_unstorable(arg, f"argument {number}, {arg[:40]!r}")
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, name = target.split(":")
        command = getattr(importlib.import_module(module), name)
        assert isinstance(command, click.Command), target
        return command


@click.group(cls=LazyGroup, epilog=EXIT_HELP)
@click.pass_context
def main(ctx: click.Context) -> None:
    """CarbonFlow: run the carbon-emission management cycles as BPMN processes.

    A command that changes something names who does it with --as USER, an active user holding the role the
    change needs (deploy and every administrative command: process_admin). Only on a new database, before any
    process_admin exists, do init, add-user, demo-users and demo-data run without --as: the installation
    sets itself up.
    """
    ctx.obj = State()

