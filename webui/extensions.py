"""The engine's objects an application serves, kept in ``app.extensions`` by create_app.

Blueprints reach the database and settings here, through ``current_app``, and never import
webui.app (which imports them).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from engine.config import Settings
from engine.db import Database

KEY = "carbonflow"


@dataclass(frozen=True)
class CarbonFlow:
    """What one application runs on: its database and its settings."""

    db: Database
    settings: Settings


def init_app(app: Flask, *, db: Database, settings: Settings) -> None:
    """Attach the database and settings to the app (create_app calls this once)."""
    app.extensions[KEY] = CarbonFlow(db=db, settings=settings)


def database() -> Database:
    """The current application's database (for views: open a transaction or a read on it)."""
    return _carbonflow().db


def settings() -> Settings:
    """The current application's settings (the plant's time zone, among others)."""
    return _carbonflow().settings


def _carbonflow() -> CarbonFlow:
    state: CarbonFlow = current_app.extensions[KEY]
    return state
