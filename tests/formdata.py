"""Valid data for any declared form (forms/samples.py), as the tests' users would give it."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from forms.samples import Sampler

PLANT_TZ = ZoneInfo("Asia/Shanghai")
# Who a generated user field names (when it needs no role), and which department.
SAMPLE_USER = "staff_prod"
SAMPLE_DEPARTMENT = "production"


def _user_with(role: str | None) -> str:
    from tests.factories import USERS

    if role is None:
        return SAMPLE_USER
    return next(username for username, (roles, _) in USERS.items() if role in roles)


SAMPLER = Sampler(user_for=_user_with, department=SAMPLE_DEPARTMENT,
                  text_for=lambda field, where: f"Walker {where}", now=lambda: datetime.now(PLANT_TZ),
                  email="walker@example.com", url="https://example.com/evidence")


def sample_form(form_key: str, *, required_only: bool = False) -> dict[str, Any]:
    """Data the form accepts: every boolean True, the first of every choice, one row per table."""
    return SAMPLER.form(form_key, required_only=required_only)
