"""The actors and the ticker of one process: run by `carbonflow worker`, or embedded in the web server.

Every few seconds the ticker asks the database what is due (timers, scheduled starts, pending
jobs, reminders) and sends an actor message for each; any worker thread of any process takes it.
Each actor is safe to run twice or in two places at once, so lost or repeated messages only
delay or repeat a check, never the effect.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime

import dramatiq

from engine import clock
from engine.background import handlers  # noqa: F401 - registers the job handlers
from engine.background.broker import make_broker
from engine.bpmn import runtime as rt
from engine.db import Database
from engine.services import jobs, notifications, schedules, timers

log = logging.getLogger(__name__)


@dataclass
class Tick:
    """What one tick found due and sent to the actors."""

    timers: list[int] = field(default_factory=list)
    schedules: list[int] = field(default_factory=list)
    jobs: list[int] = field(default_factory=list)
    reminders: int = 0


class Background:
    """A broker, its actors, a dramatiq worker and the ticker, for one process."""

    def __init__(self, db: Database, *, broker_url: str | None, threads: int = 2, tick_seconds: float = 5.0,
                 runtime: rt.Runtime | None = None):
        self.db = db
        self.runtime = runtime or rt.shared_runtime()
        self.broker = make_broker(broker_url)
        self.threads = threads
        self.tick_seconds = tick_seconds
        actor = self._actor
        self.fire_timers = actor("fire_timers", self._fire_timers)
        self.start_schedule = actor("start_schedule", self._start_schedule)
        self.run_job = actor("run_job", self._run_job)
        self._worker: dramatiq.Worker | None = None
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def _actor(self, name: str, fn: object) -> dramatiq.Actor:
        return dramatiq.actor(fn, actor_name=name, broker=self.broker, max_retries=0)

    # The actors: each takes the moment to act for (ISO text), or None for the current time.
    def _fire_timers(self, instance_id: int, at: str | None = None) -> None:
        timers.fire_instance(self.db, instance_id, _moment(at), runtime=self.runtime)

    def _start_schedule(self, schedule_id: int, at: str | None = None) -> None:
        schedules.start_one(self.db, schedule_id, _moment(at), runtime=self.runtime)

    def _run_job(self, job_id: int, at: str | None = None) -> None:
        jobs.run(self.db, job_id, now=_moment(at))

    def tick(self, now: datetime | None = None) -> Tick:
        """Send an actor message for everything due at ``now``, and send the reminders due."""
        at = now.isoformat() if now else None
        now = now or clock.now()
        found = Tick(timers=timers.due_instances(self.db, now), schedules=schedules.due_schedules(self.db, now))
        for instance_id in found.timers:
            self.fire_timers.send(instance_id, at)
        for schedule_id in found.schedules:
            self.start_schedule.send(schedule_id, at)
        found.reminders = notifications.remind(self.db, now)
        # Last: timers and starts just sent may add jobs, which the next tick picks up.
        found.jobs = jobs.dispatchable(self.db, now)
        for job_id in found.jobs:
            self.run_job.send(job_id, at)
        return found

    def start(self) -> None:
        """Start the worker threads and the ticker."""
        self._worker = dramatiq.Worker(self.broker, worker_threads=self.threads)
        self._worker.start()
        self._stop.clear()
        self._ticker = threading.Thread(target=self._tick_forever, name="carbonflow-ticker", daemon=True)
        self._ticker.start()

    def stop(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=self.tick_seconds + 5)
        if self._worker is not None:
            self._worker.stop()
        self.broker.close()

    def drain(self) -> None:
        """Wait until every message sent so far is handled (in-process broker: tests and one-shot runs)."""
        self.broker.join("default")
        if self._worker is not None:
            self._worker.join()

    def _tick_forever(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - a bad tick (database away) must not end the ticker
                log.exception("background tick failed; trying again")
            self._stop.wait(self.tick_seconds)


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
