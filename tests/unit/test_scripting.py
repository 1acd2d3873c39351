"""The restricted script engine: what BPMN scripts may and may not do."""
from __future__ import annotations

import pytest

from engine.bpmn.scripting import RestrictedEnvironment, SandboxViolation, ScriptTimeout


@pytest.fixture
def env():
    return RestrictedEnvironment(timezone="Asia/Shanghai", timeout=0.3)


def test_scripts_compute_with_task_data_and_leave_only_data(env):
    data = {"readings": [3, 4, 5], "limit": 10}
    env.execute("total = sum(readings)\nover = total > limit\nfor r in readings:\n    last = r", data)
    assert data == {"readings": [3, 4, 5], "limit": 10, "total": 12, "over": True, "r": 5, "last": 5}


def test_expressions_see_task_data_and_helpers(env):
    assert env.evaluate("effective == True", {"effective": True}) is True
    assert env.evaluate("end_of_day(due)", {"due": "2026-12-05"}) == "2026-12-05T23:59:59+08:00"
    assert env.evaluate("days_between('2026-01-01', '2026-03-01')", {}) == 59


@pytest.mark.parametrize("script, error", [
    ("import os", ImportError),
    ("from os import system", ImportError),
    ("x = __import__('os')", SandboxViolation),
    ("x = ().__class__.__base__.__subclasses__()", SandboxViolation),
    ("x = getattr((), '__class__')", NameError),
    ("x = open('/etc/hostname').read()", NameError),
    ("x = eval('1 + 1')", SandboxViolation),
    ("x = exec", NameError),
    ("x = type(1)", NameError),
    ("x = '{0.__class__}'.format(1)", SandboxViolation),
    ("x = pow(3, 10 ** 8)", NameError),
    ("x = 'a'.ljust(10 ** 8)", SandboxViolation),
    ("x = f'{1:>{10 ** 8}}'", SandboxViolation),
    ("x = 'x'.join(['y' * 99999] * 999)", SandboxViolation),
    ("x = 'ab'.replace('a', 'x' * 99999 + 'y')", SandboxViolation),
    ("x = 'a' * 90000\nfor i in range(30):\n    x = x + x", SandboxViolation),
    ("x = 'a' * 90000\nfor i in range(30):\n    x += x", SandboxViolation),
    ("x = int(decimal('1e300000'))", SandboxViolation),
    ("x = '%0100000000d' % 1", SandboxViolation),
    ("x = '%*d' % (10 ** 8, 1)", SandboxViolation),
    ("x = 10 ** 100000", SandboxViolation),
    ("x = 'a' * 10 ** 8", SandboxViolation),
    ("x = [0] * 10 ** 8", SandboxViolation),
    ("x = list(range(10 ** 7))", ValueError),
])
def test_scripts_cannot_import_reach_internals_or_exhaust_memory(env, script, error):
    with pytest.raises(error):
        env.execute(script, {})


def test_scripts_may_not_catch_errors_so_they_cannot_swallow_the_deadline(env):
    with pytest.raises(SandboxViolation, match="try/except is not allowed"):
        env.execute("try:\n    while True: pass\nexcept Exception:\n    pass\nwhile True: pass", {})


@pytest.mark.parametrize("script", ["x = range(3)", "x = [1, range(3)]",
                                    "x = {'k': ValueError('no')}", "x = reversed([1])"])
def test_scripts_may_only_leave_plain_data(env, script):
    with pytest.raises(SandboxViolation, match="keep process data"):
        env.execute(script, {})


def test_engine_keys_starting_with_underscore_are_invisible_and_kept(env):
    data = {"_engine": {"secret": 1}, "a": 1}
    env.execute("b = a + 1", data)
    assert data == {"_engine": {"secret": 1}, "a": 1, "b": 2}


def test_arithmetic_still_works(env):
    data = {"a": 7}
    env.execute("b = a % 3\nb %= 2\nc = a * 2 + a ** 2 - (a << 1)", data)
    assert (data["b"], data["c"]) == (1, 49)


def test_safe_string_helpers_still_work(env):
    assert env.evaluate("'-'.join(['a', 'b']) + ' x'.replace('x', 'y') + f'{n}'", {"n": 3}) == "a-b y3"


@pytest.mark.parametrize("script", ["while True: pass", "i = 0\nwhile True:\n    i += 1",
                                    "x = [i for i in range(999) for j in range(999) for k in range(999)]"])
def test_scripts_that_run_too_long_are_stopped(env, script):
    with pytest.raises(ScriptTimeout):
        env.execute(script, {})


def test_task_data_may_not_shadow_a_helper(env):
    with pytest.raises(SandboxViolation, match="today"):
        env.execute("x = 1", {"today": "Monday"})


def test_the_tracer_of_the_caller_is_restored(env):
    import sys
    before = sys.gettrace()
    env.execute("x = 1", {})
    assert sys.gettrace() is before
