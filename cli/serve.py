"""`carbonflow serve`: the web UI under waitress, with the background worker in the same process."""
from __future__ import annotations

import click
from waitress import serve as waitress_serve

from cli.base import fail_cleanly
from engine.background.worker import Background
from webui.app import MAX_BODY_BYTES, create_app


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, help="Web server threads.")
@click.option("--no-worker", is_flag=True, help="Do not run background work in this process.")
@click.pass_context
@fail_cleanly
def serve(ctx: click.Context, host: str, port: int, threads: int, no_worker: bool) -> None:
    """Serve the web UI with waitress (and, unless --no-worker, the background worker in-process)."""
    settings = ctx.obj.settings
    db = ctx.obj.db()
    background = None
    if not no_worker:
        background = Background(db, broker_url=settings.broker_url, tick_seconds=settings.tick_seconds)
        background.start()
    click.echo(f"CarbonFlow on http://{host}:{port}/ (background worker: "
               f"{'off' if no_worker else settings.broker_url or 'in-process'})", err=True)
    try:
        # waitress refuses a larger body itself (413) instead of spooling up to its own 1 GiB default first.
        waitress_serve(create_app(settings, db=db), host=host, port=port, threads=threads,
                       max_request_body_size=MAX_BODY_BYTES)
    finally:
        if background is not None:
            background.stop()
