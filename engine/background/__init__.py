"""Background work with dramatiq: timers, schedules, reminders, notifications and queued jobs.

The database says what is due; broker messages only tell a worker where to look, so a lost
message delays work and never loses it. Embedded (no BROKER_URL) the broker is dramatiq's
StubBroker with a worker in the same process; with redis:// or amqp:// any number of worker
processes on any number of machines share the work.
"""
