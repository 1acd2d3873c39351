"""A restricted script engine for BPMN scripts and expressions (SpiffWorkflow's own runs plain exec).

Scripts are compiled by RestrictedPython: no imports, no names or attributes starting with an
underscore, guarded item/attribute access, no builtins beyond a small safe set. Big powers and
repetitions are refused before they allocate, and a deadline stops scripts that loop too long.
"""
from __future__ import annotations

import ast
import operator
import sys
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
    safer_getattr,
)
from RestrictedPython.Limits import limited_builtins
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

SCRIPT_FILE = "<bpmn-script>"
MAX_SEQUENCE = 100_000
MAX_POWER_BITS = 4_000


class SandboxViolation(Exception):
    """Raised when a script does something the sandbox forbids (import, dunder, huge value)."""


class ScriptTimeout(Exception):
    """Raised inside a script that runs past its deadline."""


class _Transformer(RestrictingNodeTransformer):
    """RestrictedPython's rules, plus: ``*``, ``**`` and ``<<`` go through a size check."""

    _GUARDED = {ast.Mult: "mul", ast.Pow: "pow", ast.LShift: "lshift"}

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        name = self._GUARDED.get(type(node.op))
        if name is None:
            return node
        call = ast.Call(func=ast.Name("_binop_", ast.Load()),
                        args=[ast.Constant(name), node.left, node.right], keywords=[])
        return ast.fix_missing_locations(ast.copy_location(call, node))


def _binop(name: str, left: Any, right: Any) -> Any:
    if name == "pow" and isinstance(left, int) and isinstance(right, int):
        if right > 0 and abs(left) > 1 and right * max(abs(left).bit_length(), 1) > MAX_POWER_BITS:
            raise SandboxViolation(f"power too large: {left} ** {right}")
    if name == "lshift" and isinstance(right, int) and right > MAX_POWER_BITS:
        raise SandboxViolation(f"shift too large: << {right}")
    if name == "mul":
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, (str, bytes, list, tuple)) and isinstance(count, int) \
                    and len(seq) * count > MAX_SEQUENCE:
                raise SandboxViolation(f"repetition too large: {len(seq)} * {count}")
    return {"mul": operator.mul, "pow": operator.pow, "lshift": operator.lshift}[name](left, right)


_INPLACE = {"+=": operator.add, "-=": operator.sub, "/=": operator.truediv, "//=": operator.floordiv,
            "%=": operator.mod, "|=": operator.or_, "&=": operator.and_, "^=": operator.xor,
            ">>=": operator.rshift}


def _inplace(op: str, left: Any, right: Any) -> Any:
    guarded = {"*=": "mul", "**=": "pow", "<<=": "lshift"}
    if op in guarded:
        return _binop(guarded[op], left, right)
    return _INPLACE[op](left, right)


@lru_cache(maxsize=2048)
def _compile(source: str, mode: str) -> Any:
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(source, filename=SCRIPT_FILE, policy=_Transformer)
    if result.errors:
        raise SandboxViolation("; ".join(result.errors))
    return result.code


def helpers(tz: ZoneInfo) -> dict[str, Callable[..., Any]]:
    """The functions every script and expression may call (dates and decimal arithmetic)."""

    def today() -> str:
        from engine import clock
        return clock.now().astimezone(tz).date().isoformat()

    def end_of_day(day: str) -> str:
        moment = datetime.combine(date.fromisoformat(str(day)[:10]), datetime.max.time(), tz)
        return moment.replace(microsecond=0).isoformat()

    def add_days(day: str, days: int) -> str:
        return (date.fromisoformat(str(day)[:10]) + timedelta(days=int(days))).isoformat()

    def days_between(start: str, end: str) -> int:
        return (date.fromisoformat(str(end)[:10]) - date.fromisoformat(str(start)[:10])).days

    def decimal(value: Any) -> Decimal:
        return Decimal(str(value))

    return {"today": today, "end_of_day": end_of_day, "add_days": add_days,
            "days_between": days_between, "decimal": decimal, "round": round}


def _builtins() -> dict[str, Any]:
    allowed = dict(safe_builtins)
    allowed.update(limited_builtins)  # range() capped at 1,000 items
    for name in ("min", "max", "sum", "any", "all", "sorted", "enumerate", "zip", "dict", "list",
                 "reversed", "map", "filter", "set", "frozenset"):
        allowed[name] = __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
    for name in ("setattr", "delattr", "compile", "getattr", "hasattr"):
        allowed.pop(name, None)
    return allowed


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates expressions and runs scripts against task data inside the sandbox."""

    def __init__(self, *, timezone: str = "Asia/Shanghai", timeout: float = 1.0):
        self.timeout = timeout
        self.helpers = helpers(ZoneInfo(timezone))
        super().__init__(dict(self.helpers))
        self._base = {
            "__builtins__": _builtins(),
            "_getattr_": safer_getattr,
            "_getitem_": default_guarded_getitem,
            "_getiter_": iter,
            "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
            "_unpack_sequence_": guarded_unpack_sequence,
            "_write_": full_write_guard,
            "_inplacevar_": _inplace,
            "_binop_": _binop,
            **self.helpers,
        }

    def evaluate(self, expression: str, context: Mapping[str, Any],
                 external_context: Mapping[str, Any] | None = None) -> Any:
        scope = {**self._base, **(external_context or {}), **_data_only(context)}
        return _bounded(lambda: eval(_compile(expression.strip(), "eval"), scope), self.timeout)

    def execute(self, script: str, context: dict[str, Any],
                external_context: Mapping[str, Any] | None = None) -> bool:
        overwritten = set(self.helpers) & set(context)
        if overwritten:
            raise SandboxViolation(f"task data overwrites helper function(s): {sorted(overwritten)}")
        scope = {**self._base, **(external_context or {}), **context}
        _bounded(lambda: exec(_compile(script, "exec"), scope), self.timeout)
        # Write back only the data the script left: not helpers, guards or functions.
        context.clear()
        context.update({k: v for k, v in scope.items()
                        if not k.startswith("_") and k not in self._base and not callable(v)
                        and k not in (external_context or {})})
        return True

    def call_service(self, context: Any, **kwargs: Any) -> Any:
        raise SandboxViolation("service tasks are not supported; model a message catch instead")


def make_script_engine(*, timezone: str = "Asia/Shanghai", timeout: float = 1.0) -> PythonScriptEngine:
    """A SpiffWorkflow script engine that runs everything through the restricted environment."""
    return PythonScriptEngine(environment=RestrictedEnvironment(timezone=timezone, timeout=timeout))


def _data_only(context: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in context.items() if not k.startswith("_")}


def _bounded(run: Callable[[], Any], timeout: float) -> Any:
    """Run a compiled script, raising ScriptTimeout in it once the deadline passes."""
    deadline = time.monotonic() + timeout

    def local_trace(frame: Any, event: str, arg: Any) -> Any:
        if time.monotonic() > deadline:
            raise ScriptTimeout(f"script ran longer than {timeout:g} s")
        return local_trace

    def global_trace(frame: Any, event: str, arg: Any) -> Any:
        # Only the script's own frames are traced; helpers and the engine run at full speed.
        # Opcode events, because a one-line `while True: pass` emits no line events.
        if frame.f_code.co_filename != SCRIPT_FILE:
            return None
        frame.f_trace_opcodes = True
        return local_trace

    previous = sys.gettrace()
    sys.settrace(global_trace)
    try:
        return run()
    finally:
        sys.settrace(previous)
