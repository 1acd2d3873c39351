"""Commands for a first look: the demo plant (users and a year of instances) and fresh demo passwords."""
from __future__ import annotations

import click

from cli.base import echo, fail_cleanly, json_flag, transaction
from demo import plant
from demo.story import COMPANY
from demo.users import load_demo_users
from engine.errors import Conflict
from engine.services import installation

ALREADY_LOADED = ("demo data is already loaded (instances with business keys DEMO-… exist); nothing changed "
                  "(use `carbonflow demo-users --as ADMIN` for new passwords)")

install_option = click.option(
    "--as", "actor", default=None, metavar="USER",
    help="The process_admin who does it (none on a new database, before any process_admin exists).")


@click.command("demo-users")
@install_option
@json_flag
@click.pass_context
@fail_cleanly
def demo_users(ctx: click.Context, actor: str | None, as_json: bool) -> None:
    """Create one demo user per role (new passwords each run) and print their sign-ins."""
    with transaction(ctx) as session:
        acting = installation.acting(session, actor, "load demo users")
        created = load_demo_users(session, actor=acting)
    rows = [{"username": u.username, "password": u.password, "roles": list(u.roles),
             "department": u.department, "display_name": u.display_name} for u in created]
    echo(rows, as_json, lambda rs: "\n".join(
        f"{r['username']:<12} {r['password']:<14} {', '.join(r['roles'])}" for r in rs))


@click.command("demo-data")
@install_option
@json_flag
@click.pass_context
@fail_cleanly
def demo_data(ctx: click.Context, actor: str | None, as_json: bool) -> None:
    """Seed a Shanxi cement plant: departments, a user per role and a year of instances (once only)."""
    db = ctx.obj.db()
    if plant.is_seeded(db):  # nothing would change, whoever asks: a second run of scripts/run.sh exits 5
        raise Conflict(ALREADY_LOADED)
    with db.reading() as session:
        acting = installation.acting(session, actor, "load demo data")
    try:
        created, seeded = plant.seed(db, actor=acting)
    except plant.AlreadySeeded as exc:
        raise Conflict(ALREADY_LOADED) from exc
    result = {"users": [{"username": u.username, "password": u.password, "roles": list(u.roles),
                         "department": u.department, "display_name": u.display_name} for u in created],
              "instances": seeded.instances, "fired_timers": seeded.fired_timers}
    echo(result, as_json, lambda r: "\n".join(
        [f"{COMPANY}: {len(r['instances'])} demo instances"]
        + [f"  {key:<18} instance {iid}" for key, iid in r["instances"].items()]
        + ["sign in as:"] + [f"  {u['username']:<12} {u['password']:<14} {', '.join(u['roles'])}"
                             for u in r["users"]]))
