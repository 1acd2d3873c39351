"""Settings from the environment, read in one place."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Every environment variable CarbonFlow reads, with its default."""

    database_url: str
    processes_dir: Path
    timezone: str = "Asia/Shanghai"
    script_timeout_seconds: float = 1.0
    broker_url: str | None = None  # redis:// or amqp://; None: in-process
    tick_seconds: float = 5.0
    data_dir: Path = PROJECT_ROOT / "data"
    secret_key: str | None = None  # signs web sessions; made once in data_dir when not given
    secure_cookies: bool = True  # session cookies only over HTTPS (browsers allow localhost)
    # How many reverse proxies in front set X-Forwarded-For/-Proto: the client's address (counted per address
    # against guessing) and scheme are then read from them. 0: the connection's own address.
    trusted_proxies: int = 0

    @classmethod
    def from_env(cls) -> "Settings":
        """Settings from DATABASE_URL, CARBONFLOW_PROCESSES, CARBONFLOW_TZ, CARBONFLOW_SCRIPT_TIMEOUT,
        BROKER_URL, CARBONFLOW_TICK_SECONDS, CARBONFLOW_DATA, CARBONFLOW_SECRET_KEY, CARBONFLOW_SECURE_COOKIES,
        CARBONFLOW_TRUSTED_PROXIES."""
        data_dir = Path(os.environ.get("CARBONFLOW_DATA", PROJECT_ROOT / "data"))
        return cls(
            database_url=os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir / 'carbonflow.db'}",
            processes_dir=Path(os.environ.get("CARBONFLOW_PROCESSES", PROJECT_ROOT / "processes")),
            timezone=os.environ.get("CARBONFLOW_TZ", "Asia/Shanghai"),
            script_timeout_seconds=float(os.environ.get("CARBONFLOW_SCRIPT_TIMEOUT", "1.0")),
            broker_url=os.environ.get("BROKER_URL") or None,
            tick_seconds=float(os.environ.get("CARBONFLOW_TICK_SECONDS", "5")),
            data_dir=data_dir,
            secret_key=os.environ.get("CARBONFLOW_SECRET_KEY") or None,
            secure_cookies=os.environ.get("CARBONFLOW_SECURE_COOKIES", "1") != "0",
            trusted_proxies=int(os.environ.get("CARBONFLOW_TRUSTED_PROXIES", "0") or 0),
        )
