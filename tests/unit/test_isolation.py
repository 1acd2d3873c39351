"""Scripts run in a worker process with hard limits: what the in-process guards cannot stop, this does."""
from __future__ import annotations

import time

import pytest

from engine import clock
from engine.bpmn.isolation import IsolatedEnvironment, _Worker
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


def test_plain_names_and_literals_are_answered_without_the_worker():
    from engine.bpmn.isolation import _NO_SHORTCUT, _plain_lookup
    assert _plain_lookup("owner", {"owner": "wang"}) == "wang"
    assert _plain_lookup(' "P14D" ', {}) == "P14D"
    assert _plain_lookup("owner", {}) is _NO_SHORTCUT          # the worker raises the NameError
    assert _plain_lookup("_secret", {"_secret": 1}) is _NO_SHORTCUT
    assert _plain_lookup("owner.upper()", {"owner": "w"}) is _NO_SHORTCUT


@pytest.mark.parametrize("expression, bounded", [
    ("effective == True", True),
    ("end_of_day(correction_due)", True),
    ("score > 3 and not flagged or kind in ('a', 'b')", True),
    ("readings[0] - 1 if readings else 0", True),
    ("x * 10", False),
    ("sum(readings)", False),
    ("owner.upper()", False),
    ("[i for i in range(9)]", False),
    ("_hidden == 1", False),
])
def test_only_bounded_expressions_skip_the_worker(expression, bounded):
    from engine.bpmn.isolation import is_bounded_expression
    assert is_bounded_expression(expression) is bounded


def test_bounded_expressions_give_the_same_answers_inline(env):
    data = {"effective": True, "correction_due": "2026-12-05", "score": 4, "flagged": False}
    assert env.evaluate("effective == True", data) is True
    assert env.evaluate("end_of_day(correction_due)", data) == "2026-12-05T23:59:59+08:00"
    with pytest.raises(NameError):
        env.evaluate("missing > 1", data)


def test_a_worker_that_dies_while_starting_is_named_as_such():
    # An unknown zone makes the worker fail before it is ready (its traceback goes to stderr).
    with pytest.raises(SandboxViolation, match=r"exited while starting \(exit code 1\)"):
        _Worker("No/Such_Zone", 1.0, 1 << 30)
