"""Commands for a first look: the demo plant (users and a year of instances) and fresh demo passwords."""
from __future__ import annotations

import click

from cli.base import echo, fail_cleanly, json_flag, transaction
from demo import plant
from demo.story import COMPANY
from demo.users import load_demo_users
from engine.errors import Conflict


@click.command("demo-users")
@json_flag
@click.pass_context
@fail_cleanly
def demo_users(ctx: click.Context, as_json: bool) -> None:
    """Create one demo user per role (new passwords each run) and print their sign-ins."""
    with transaction(ctx) as session:
        created = load_demo_users(session)
    rows = [{"username": u.username, "password": u.password, "roles": list(u.roles),
             "department": u.department, "display_name": u.display_name} for u in created]
    echo(rows, as_json, lambda rs: "\n".join(
        f"{r['username']:<12} {r['password']:<14} {', '.join(r['roles'])}" for r in rs))


@click.command("demo-data")
@json_flag
@click.pass_context
@fail_cleanly
def demo_data(ctx: click.Context, as_json: bool) -> None:
    """Seed a Shanxi cement plant: departments, a user per role and a year of instances (once only)."""
    try:
        created, seeded = plant.seed(ctx.obj.db())
    except plant.AlreadySeeded as exc:
        raise Conflict(f"{exc}; nothing changed (use `carbonflow demo-users` for new passwords)") from exc
    result = {"users": [{"username": u.username, "password": u.password, "roles": list(u.roles),
                         "department": u.department, "display_name": u.display_name} for u in created],
              "instances": seeded.instances, "fired_timers": seeded.fired_timers}
    echo(result, as_json, lambda r: "\n".join(
        [f"{COMPANY}: {len(r['instances'])} demo instances"]
        + [f"  {key:<18} instance {iid}" for key, iid in r["instances"].items()]
        + ["sign in as:"] + [f"  {u['username']:<12} {u['password']:<14} {', '.join(u['roles'])}"
                             for u in r["users"]]))
