"""The dramatiq broker named by BROKER_URL: in-process (none), Redis or RabbitMQ."""
from __future__ import annotations

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Retries


def make_broker(url: str | None) -> dramatiq.Broker:
    """A broker for the URL; retries are ours (jobs table), so dramatiq's own are switched off."""
    if not url:
        broker: dramatiq.Broker = StubBroker()
    elif url.startswith(("redis://", "rediss://")):
        from dramatiq.brokers.redis import RedisBroker
        broker = RedisBroker(url=url)
    elif url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker
        broker = RabbitmqBroker(url=url)
    else:
        raise ValueError(f"BROKER_URL {url!r} is neither redis:// nor amqp://")
    for middleware in list(broker.middleware):
        if isinstance(middleware, Retries):
            broker.middleware.remove(middleware)
    return broker
