"""Scripts run in a worker process with hard limits: what the in-process guards cannot stop, this does."""
from __future__ import annotations

import time

import pytest

from engine import clock
from engine.bpmn.isolation import IsolatedEnvironment
from engine.bpmn.scripting import SandboxViolation, ScriptTimeout


@pytest.fixture(scope="module")
def env():
    return IsolatedEnvironment(timezone="Asia/Shanghai", timeout=0.3, memory_mb=512)


def test_scripts_and_expressions_run_in_the_worker_and_return_their_data(env):
    data = {"readings": [3, 4], "_engine": "kept"}
    env.execute("total = sum(readings)", data)
    assert data == {"readings": [3, 4], "_engine": "kept", "total": 7}
    assert env.evaluate("total > 5", data) is True


def test_errors_come_back_with_their_type_and_message(env):
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        env.execute("x = 1 / 0", {})
    with pytest.raises(ImportError, match="__import__ not found"):
        env.execute("import os", {})


@pytest.mark.parametrize("script", [
    "m = [[0] * 100000] * 100000\nx = f'{m}'",              # one C call over 10^10 items
    "x = round(1, -10 ** 8)",
    "t = tuple([0] * 100000)\nx = hash((t,) * 100000)",
])
def test_a_single_endless_c_call_is_stopped_by_killing_the_worker(env, script):
    started = time.monotonic()
    with pytest.raises((ScriptTimeout, SandboxViolation)):
        env.execute(script, {})
    assert time.monotonic() - started < 10
    assert env.evaluate("1 + 1", {}) == 2  # a fresh worker takes over


def test_a_script_that_grabs_too_much_memory_fails_without_harming_the_engine(env):
    with pytest.raises((SandboxViolation, ScriptTimeout, MemoryError)):
        env.execute("l = [0] * 100000\nfor i in range(14):\n    l.extend(l)", {})
    assert env.evaluate("2 * 3", {}) == 6


def test_system_exit_does_not_leave_the_sandbox(env):
    with pytest.raises(Exception) as caught:
        env.execute("raise SystemExit(3)", {})
    assert not isinstance(caught.value, SystemExit)


def test_the_worker_sees_the_engine_clock_when_it_is_pinned(env):
    from datetime import datetime, timezone
    with clock.frozen_at(datetime(2030, 6, 1, 4, 0, tzinfo=timezone.utc)):
        assert env.evaluate("today()", {}) == "2030-06-01"
