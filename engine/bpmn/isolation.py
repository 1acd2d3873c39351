"""Run BPMN scripts and expressions in a separate worker process with hard limits.

The restricted environment (scripting.py) refuses what it can see in the code, and its deadline
stops long Python loops. A single C-level call (comparing or printing huge aliased structures,
say) can neither be seen nor interrupted from inside the process, so each thread that runs
scripts talks to its own worker process: its address space is capped (RLIMIT_AS), and the worker
is killed, and later replaced, when a call outlives the deadline.
"""
from __future__ import annotations

import ast
import builtins
import keyword
import multiprocessing
import resource
import threading
from datetime import datetime
from functools import lru_cache
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine import clock
from engine.bpmn.gathering import GatheringScriptEngine
from engine.bpmn.scripting import RestrictedEnvironment, SandboxViolation, ScriptTimeout, data_only

GRACE_SECONDS = 1.0  # past the in-process deadline, before the worker is killed
STARTUP_SECONDS = 60.0  # for a new worker process to be ready (not counted against a script)

try:
    _CONTEXT = multiprocessing.get_context("forkserver")
    # Workers fork from a server that has the sandbox imported already: milliseconds, not seconds.
    _CONTEXT.set_forkserver_preload(["engine.bpmn.scripting"])
except ValueError:  # no forkserver on this platform
    _CONTEXT = multiprocessing.get_context("spawn")


def _serve(connection: Any, timezone: str, timeout: float, memory_bytes: int) -> None:
    """The worker's loop: run one request at a time and answer ("ok", value) or ("err", type, text)."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    environment = RestrictedEnvironment(timezone=timezone, timeout=timeout)
    connection.send(("ready",))
    while True:
        try:
            mode, source, context, external, now = connection.recv()
        except EOFError:
            return
        try:
            with clock.frozen_at(now):
                if mode == "eval":
                    reply: tuple[Any, ...] = ("ok", environment.evaluate(source, context, external))
                else:
                    environment.execute(source, context, external)
                    reply = ("ok", context)
        except MemoryError:
            reply = ("err", "SandboxViolation", "the script needed more memory than allowed")
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the engine as an error
            reply = ("err", type(exc).__name__, str(exc))
        try:
            connection.send(reply)
        except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be pickled
            connection.send(("err", "SandboxViolation", f"the script's result cannot be returned: {exc}"))


class _Worker:
    def __init__(self, timezone: str, timeout: float, memory_bytes: int):
        self.connection, child_end = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=_serve, args=(child_end, timezone, timeout, memory_bytes),
                                        daemon=True, name="carbonflow-script-worker")
        self.process.start()
        child_end.close()
        # Starting a process takes a while on a busy machine; that time is not the script's, so
        # the deadline starts only once the worker says it is ready.
        try:
            ready = self.connection.poll(STARTUP_SECONDS) and self.connection.recv() == ("ready",)
        except EOFError:  # it exited before saying so: it could not import the engine, say
            self.kill()
            raise SandboxViolation(f"the script worker exited while starting "
                                   f"(exit code {self.process.exitcode})") from None
        if not ready:
            self.kill()
            raise SandboxViolation(f"the script worker did not start within {STARTUP_SECONDS:g} s")

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


class IsolatedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates expressions and runs scripts in a per-thread worker process with hard limits."""

    def __init__(self, *, timezone: str = "Asia/Shanghai", timeout: float = 1.0, memory_mb: int = 1024):
        super().__init__({})
        self.timezone, self.timeout, self.memory_bytes = timezone, timeout, memory_mb * 1024 * 1024
        self._local = threading.local()
        self._inline = RestrictedEnvironment(timezone=timezone, timeout=timeout)

    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: dict[str, Any] | None = None) -> Any:
        shortcut = _plain_lookup(expression, context)
        if shortcut is not _NO_SHORTCUT:
            return shortcut
        if is_bounded_expression(expression):
            return self._inline.evaluate(expression, context, external_context)
        return self._call("eval", expression, data_only(context), external_context)

    def execute(self, script: str, context: dict[str, Any],
                external_context: dict[str, Any] | None = None) -> bool:
        result = self._call("exec", script, dict(context), external_context)
        context.clear()
        context.update(result)
        return True

    def call_service(self, context: Any, **kwargs: Any) -> Any:
        raise SandboxViolation("service tasks are not supported; model a message catch instead")

    def _call(self, mode: str, source: str, context: dict[str, Any], external: dict[str, Any] | None) -> Any:
        worker = self._worker()
        request = (mode, source, context, dict(external or {}), _pinned_now())
        try:
            worker.connection.send(request)
        except (BrokenPipeError, EOFError, OSError):  # the worker died since its last call
            self._discard()
            worker = self._worker()
            worker.connection.send(request)
        if not worker.connection.poll(self.timeout + GRACE_SECONDS):
            self._discard()
            raise ScriptTimeout(f"script ran longer than {self.timeout:g} s (its process was stopped)")
        try:
            reply = worker.connection.recv()
        except EOFError:
            self._discard()
            raise SandboxViolation("the script's process died (memory limit exceeded?)") from None
        if reply[0] == "ok":
            return reply[1]
        raise _rebuild(reply[1], reply[2])

    def _worker(self) -> _Worker:
        worker = getattr(self._local, "worker", None)
        if worker is None or not worker.process.is_alive():
            worker = self._local.worker = _Worker(self.timezone, self.timeout, self.memory_bytes)
        return worker

    def _discard(self) -> None:
        worker = getattr(self._local, "worker", None)
        if worker is not None:
            worker.kill()
            self._local.worker = None


def make_isolated_script_engine(*, timezone: str = "Asia/Shanghai", timeout: float = 1.0,
                                memory_mb: int = 1024) -> PythonScriptEngine:
    """A SpiffWorkflow script engine whose scripts run in a limited worker process (and whose service tasks
    gather through the engine's queries)."""
    return GatheringScriptEngine(environment=IsolatedEnvironment(timezone=timezone, timeout=timeout,
                                                                 memory_mb=memory_mb))


_NO_SHORTCUT = object()


def _plain_lookup(expression: str, context: dict[str, Any]) -> Any:
    """The value of an expression that is only a data name or a literal, without a round trip.

    Most expressions in our models are like that (`owner`, `department`, `"P14D"`); neither can
    run code, so there is nothing for the worker to contain.
    """
    text = expression.strip()
    if text.isidentifier() and not keyword.iskeyword(text) and not text.startswith("_"):
        return context.get(text, _NO_SHORTCUT)
    if len(text) <= 200 and text[:1] in "\"'0123456789-":
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return _NO_SHORTCUT
    return _NO_SHORTCUT


# Expressions built only from these can neither loop nor build large values, so they are
# evaluated in-process (with the restricted environment's guards) instead of by the worker.
_BOUNDED_NODES = (ast.Expression, ast.Name, ast.Load, ast.Constant, ast.Compare, ast.BoolOp, ast.And,
                  ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.Eq, ast.NotEq, ast.Lt, ast.LtE,
                  ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot, ast.IfExp, ast.Subscript,
                  ast.BinOp, ast.Add, ast.Sub, ast.Call, ast.Tuple, ast.List)
_BOUNDED_CALLS = frozenset({"today", "end_of_day", "add_days", "days_between"})


@lru_cache(maxsize=2048)
def is_bounded_expression(expression: str) -> bool:
    """True for comparisons, boolean logic and date helpers over data names and literals."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if not isinstance(node, _BOUNDED_NODES):
            return False
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            return False
        if isinstance(node, ast.Call) and not (
                isinstance(node.func, ast.Name) and node.func.id in _BOUNDED_CALLS and not node.keywords):
            return False
    return True


def _pinned_now() -> datetime | None:
    moment = clock.now()
    return moment if clock.is_pinned() else None


_KNOWN = {"SandboxViolation": SandboxViolation, "ScriptTimeout": ScriptTimeout}


def _rebuild(name: str, message: str) -> Exception:
    """The worker's error as an exception of the same type here (builtins and the sandbox's own)."""
    cls = _KNOWN.get(name) or getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        return cls(message)
    return SandboxViolation(f"{name}: {message}")
