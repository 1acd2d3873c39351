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

from RestrictedPython import (
    RestrictingNodeTransformer,
    compile_restricted_eval,
    compile_restricted_exec,
)
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
    """Raised when a script runs past its deadline."""


class _Deadline(BaseException):
    """Raised inside the script's own frames at the deadline; a BaseException, so nothing there catches it."""


class _Transformer(RestrictingNodeTransformer):
    """RestrictedPython's rules, plus: no try/except, no f-string format specs, and ``+``, ``*``,
    ``**`` and ``<<`` go through a size check."""

    _GUARDED = {ast.Add: "add", ast.Mult: "mul", ast.Pow: "pow", ast.LShift: "lshift", ast.Mod: "mod"}

    def visit_Try(self, node: ast.Try) -> ast.AST:
        # A script that could catch errors could also swallow the deadline; models have no need.
        self.error(node, "try/except is not allowed in BPMN scripts")
        return node

    visit_TryStar = visit_Try

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> ast.AST:
        # A paused generator's clean-up can run while the deadline fires, which switches tracing off.
        self.error(node, "generator expressions are not allowed in BPMN scripts; use a list comprehension")
        return node

    def visit_Yield(self, node: ast.AST) -> ast.AST:
        self.error(node, "yield is not allowed in BPMN scripts")
        return node

    visit_YieldFrom = visit_Yield

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        if node.format_spec is not None:
            self.error(node, "format specifications in f-strings are not allowed")
        return self.node_contents_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        name = self._GUARDED.get(type(node.op))
        if name is None:
            return node
        call = ast.Call(func=ast.Name("_binop_", ast.Load()),
                        args=[ast.Constant(name), node.left, node.right], keywords=[])
        return ast.fix_missing_locations(ast.copy_location(call, node))


def _binop(name: str, left: Any, right: Any) -> Any:
    if name == "mod":
        if isinstance(left, (str, bytes)):  # '%0100000000d' % 1 builds 100 MB in one C call
            raise SandboxViolation("%-formatting is not allowed in BPMN scripts; use f-strings")
        return left % right
    if name == "add":
        if isinstance(left, (str, bytes, list, tuple)) and isinstance(right, (str, bytes, list, tuple)) \
                and len(left) + len(right) > MAX_SEQUENCE:
            raise SandboxViolation(f"sequence too large: {len(left)} + {len(right)}")
        return left + right
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


_INPLACE = {"-=": operator.sub, "/=": operator.truediv, "//=": operator.floordiv,
            "|=": operator.or_, "&=": operator.and_, "^=": operator.xor, ">>=": operator.rshift}


def _inplace(op: str, left: Any, right: Any) -> Any:
    guarded = {"+=": "add", "*=": "mul", "**=": "pow", "<<=": "lshift", "%=": "mod"}
    if op in guarded:
        return _binop(guarded[op], left, right)
    return _INPLACE[op](left, right)


# String methods that build a result of a size the caller chooses, in one C call.
_PADDING = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs", "format", "format_map"})


def _getattr(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, (str, bytes)):
        if name in _PADDING:
            raise SandboxViolation(f"str.{name} is not allowed in BPMN scripts")
        if name == "join":
            return _sized_join(obj)
        if name == "replace":
            return _sized_replace(obj)
    return safer_getattr(obj, name, default)


def _sized_join(separator: Any) -> Callable[[Any], Any]:
    def join(items: Any) -> Any:
        items = list(items)
        size = sum(len(i) for i in items if isinstance(i, (str, bytes))) + len(separator) * len(items)
        if size > MAX_SEQUENCE:
            raise SandboxViolation(f"join result too large: {size}")
        return separator.join(items)
    return join


def _sized_replace(text: Any) -> Callable[..., Any]:
    def replace(old: Any, new: Any, count: int = -1) -> Any:
        hits = text.count(old) if count < 0 else min(count, text.count(old))
        if len(text) + hits * (len(new) - len(old)) > MAX_SEQUENCE:
            raise SandboxViolation("replace result too large")
        return text.replace(old, new, count)
    return replace


def compile_check(source: str, mode: str) -> None:
    """Raise SandboxViolation if a script or expression would be refused (used at deploy)."""
    _compile(source.strip() if mode == "eval" else source, mode)


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
        number = Decimal(str(value))
        # Huge exponents make later int()/str() conversions run for seconds in C.
        if number.is_finite() and abs(number.adjusted()) > 100:
            raise SandboxViolation(f"decimal out of range: {value!r}")
        return number

    return {"today": today, "end_of_day": end_of_day, "add_days": add_days,
            "days_between": days_between, "decimal": decimal, "round": round}


def _builtins() -> dict[str, Any]:
    allowed = dict(safe_builtins)
    allowed.update(limited_builtins)  # range() capped at 1,000 items
    for name in ("min", "max", "sum", "any", "all", "sorted", "enumerate", "zip", "dict", "list",
                 "reversed", "map", "filter", "set", "frozenset"):
        allowed[name] = __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
    for name in ("setattr", "delattr", "compile", "getattr", "hasattr", "pow", "BaseException",
                 "SystemExit", "KeyboardInterrupt", "GeneratorExit"):
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
            "_getattr_": _getattr,
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
        scope = {**self._base, **(external_context or {}), **data_only(context)}
        return _bounded(lambda: eval(_compile(expression.strip(), "eval"), scope), self.timeout)

    def execute(self, script: str, context: dict[str, Any],
                external_context: Mapping[str, Any] | None = None) -> bool:
        overwritten = set(self.helpers) & set(context)
        if overwritten:
            raise SandboxViolation(f"task data overwrites helper function(s): {sorted(overwritten)}")
        scope = {**self._base, **(external_context or {}), **data_only(context)}
        _bounded(lambda: exec(_compile(script, "exec"), scope), self.timeout)
        # Write back only the data the script left: not helpers, guards or functions; keys that
        # start with "_" (the engine's, never the script's) stay as they were.
        results = {k: v for k, v in scope.items()
                   if not k.startswith("_") and k not in self._base and not callable(v)
                   and k not in (external_context or {})}
        budget = [MAX_SEQUENCE]
        for name, value in results.items():
            _check_data(name, value, budget=budget)
        kept = {k: v for k, v in context.items() if k.startswith("_")}
        context.clear()
        context.update(kept)
        context.update(results)
        return True

    def call_service(self, context: Any, **kwargs: Any) -> Any:
        raise SandboxViolation("service tasks are not supported; model a message catch instead")


def make_script_engine(*, timezone: str = "Asia/Shanghai", timeout: float = 1.0) -> PythonScriptEngine:
    """A SpiffWorkflow script engine that runs everything through the restricted environment."""
    return PythonScriptEngine(environment=RestrictedEnvironment(timezone=timezone, timeout=timeout))


def data_only(context: Mapping[str, Any]) -> dict[str, Any]:
    """Task data without the engine's own underscore keys (scripts never see those)."""
    return {k: v for k, v in context.items() if not k.startswith("_")}


_DATA_TYPES = (str, int, float, bool, type(None), Decimal, date)


def _check_data(name: str, value: Any, depth: int = 0, budget: list[int] | None = None) -> None:
    """Refuse values that cannot be saved as process data (ranges, generators, exceptions...)."""
    budget = budget if budget is not None else [MAX_SEQUENCE]
    budget[0] -= 1
    if depth > 20 or budget[0] < 0:
        raise SandboxViolation(f"{name!r} is too large or nested too deeply to keep as process data")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise SandboxViolation(f"{name!r} has a non-text key {key!r}")
            _check_data(name, item, depth + 1, budget)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_data(name, item, depth + 1, budget)
    elif not isinstance(value, _DATA_TYPES):
        raise SandboxViolation(f"script left {type(value).__name__} in {name!r}; keep process data to "
                               "text, numbers, booleans, dates, lists and dicts")


def _bounded(run: Callable[[], Any], timeout: float) -> Any:
    """Run a compiled script, raising ScriptTimeout in it once the deadline passes."""
    deadline = time.monotonic() + timeout

    def local_trace(frame: Any, event: str, arg: Any) -> Any:
        if time.monotonic() > deadline:
            raise _Deadline
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
    except _Deadline:
        raise ScriptTimeout(f"script ran longer than {timeout:g} s") from None
    except Exception:
        raise
    except BaseException as exc:  # SystemExit and the like must not leave the sandbox as such
        raise SandboxViolation(f"script raised {type(exc).__name__}") from None
    finally:
        sys.settrace(previous)
