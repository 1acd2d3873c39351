"""The actors and the ticker of one process: run by `carbonflow worker`, or embedded in the web server.

Every few seconds the ticker asks the database what is due (timers, scheduled starts, pending
jobs, reminders) and sends an actor message for each; any worker thread of any process takes it.
Each actor is safe to run twice or in two places at once, so lost or repeated messages only
delay or repeat a check, never the effect.
"""
from __future__ import annotations

import logging
import threading
import time
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
        # Timers and jobs on queues of their own: a burst of one does not hold up the other.
        self.fire_timers = actor("fire_timers", self._fire_timers, "timers")
        self.start_schedule = actor("start_schedule", self._start_schedule, "timers")
        self.run_job = actor("run_job", self._run_job, "jobs")
        # What this process sent lately, so a tick does not send it again while it is being done.
        self._sent: dict[tuple[str, int, object], float] = {}
        self._worker: dramatiq.Worker | None = None
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def _actor(self, name: str, fn: object, queue: str) -> dramatiq.Actor:
        return dramatiq.actor(fn, actor_name=name, queue_name=queue, broker=self.broker, max_retries=0)

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
        self._forget_old_sends()
        found = Tick()
        for instance_id in self._all_due_instances(now):
            if self._once(("timer", instance_id, at)):
                self.fire_timers.send(instance_id, at)
                found.timers.append(instance_id)
        for schedule_id in schedules.due_schedules(self.db, now):
            if self._once(("schedule", schedule_id, at)):
                self.start_schedule.send(schedule_id, at)
                found.schedules.append(schedule_id)
        found.reminders = notifications.remind(self.db, now)
        # Last: timers and starts just sent may add jobs, which the next tick picks up.
        found.jobs = jobs.dispatchable(self.db, now)
        for job_id in found.jobs:
            self.run_job.send(job_id, at)
        return found

    def _all_due_instances(self, now: datetime) -> list[int]:
        """Every instance with a due timer, page by page (a few stuck ones must not hide the rest)."""
        due: list[int] = []
        while page := timers.due_instances(self.db, now, after_id=due[-1] if due else 0):
            due.extend(page)
        return due

    def _once(self, key: tuple[str, int, object]) -> bool:
        """True the first time within a lease: the message is in flight, or the work is being done."""
        if key in self._sent:
            return False
        self._sent[key] = time.monotonic()
        return True

    def _forget_old_sends(self) -> None:
        # After the lease a message may have been lost: the next tick sends it again.
        horizon = time.monotonic() - jobs.lease().total_seconds()
        self._sent = {key: sent for key, sent in self._sent.items() if sent > horizon}

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
        """Wait until every message sent so far is handled (tests and one-shot runs)."""
        for queue in ("timers", "jobs"):
            self.broker.join(queue)
        if self._worker is not None:
            self._worker.join()
        self._sent.clear()  # what was sent is done: a later tick may send it again

    def _tick_forever(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - a bad tick (database away) must not end the ticker
                log.exception("background tick failed; trying again")
            self._stop.wait(self.tick_seconds)


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
