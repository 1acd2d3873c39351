"""The plant's open work (for those who oversee it): what the dashboard's figures count, one task a row."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user

from engine import clock
from engine.errors import NotPermitted
from engine.people import ROLES
from engine.read import open_work
from engine.read.definitions import latest_definitions
from engine.read.steps import directory_names
from webui.i18n import process_name
from webui.errors import abort_for
from webui.extensions import database
from webui.input_guard import page_arg

blueprint = Blueprint("open_work", __name__)
PAGE_SIZE = 50


@blueprint.route("/work")
def show() -> Any:
    """Every open task of the plant, filtered by role, process or past due; most overdue first."""
    filters = open_work.Filters(role=request.args.get("role") or None,
                                process_id=request.args.get("process") or None,
                                overdue=request.args.get("overdue") == "1")
    page = page_arg()
    now = clock.now()
    with database().reading() as session:
        try:
            found = open_work.open_work(session, current_user.username, filters, now=now, limit=PAGE_SIZE,
                                        offset=(page - 1) * PAGE_SIZE)
        except NotPermitted as exc:
            abort_for(exc)
        processes = [(d.process_id, process_name(d.name)) for d in latest_definitions(session)]
        names = directory_names(session)
    args = {"role": filters.role or "", "process": filters.process_id or "", "overdue": "1" if filters.overdue else ""}
    return render_template("work.html", found=found, filters=filters, args={k: v for k, v in args.items() if v},
                           page=page, pages=max(1, -(-found.total // PAGE_SIZE)), now=now, roles=ROLES,
                           processes=processes, process_names=dict(processes), people=names.people)
