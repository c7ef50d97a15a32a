"""Three fixes for what Flet 0.82's update diff spends its time on (measured: bench/diff.py),
and two more installed from here: its encoder (ui/flet_encoder.py) and its mount bookkeeping
after each update (ui/flet_session.py).

`flet/controls/object_patch.py` logs `logger.debug(f"... {src} {dst}")` at the top of
`DiffBuilder._compare_lists` and `_compare_dataclasses`. The f-string is built whether or not
debug logging is on, and a control's dataclass repr walks its whole subtree, so every update
formatted every subtree it compared, nested lists again at each level: most of an update's
time, on the event loop that serves every agent's clicks.

- Those two methods are compiled again from Flet's own source with each such call behind
  `if logger.isEnabledFor(logging.DEBUG)`, so nothing is formatted unless someone debugs.
  If the source is not what this expects (another Flet version), they are left as they are.
- `dataclasses.is_dataclass` and `fields`, which the diff asks of every control and value it
  compares (and the field map `_compare_dataclasses` builds from them), are answered once per
  class: object_patch's `dataclasses` is a stand-in that remembers them.
- A control's repr is its type and key (Flet formats controls eagerly in a few other debug
  lines too); that is all a person reading a traceback needs, and nothing else reads it.

Imported before any page is built (ui/app.py does)."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import logging
import sys
import textwrap
from typing import Any, cast

from flet.controls import base_control, object_patch
from flet.controls.base_control import BaseControl

from helpdesk.ui import flet_disconnect, flet_encoder, flet_session

log = logging.getLogger(__name__)


def _short_repr(self: Any) -> str:
    key = getattr(self, "key", None)
    return f"{type(self).__name__}(key={key!r})" if key is not None else f"{type(self).__name__}()"


def _shorten(cls: type) -> None:
    setattr(cls, "__repr__", _short_repr)
    for sub in cls.__subclasses__():
        _shorten(sub)


def _is_eager_debug(node: ast.AST) -> bool:
    """`<logger>.debug(f"...")`: a debug call whose message is an f-string."""
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "debug"
            and bool(node.value.args) and isinstance(node.value.args[0], ast.JoinedStr))


def _is_field_map(node: ast.AST) -> bool:
    """`fields = {f.name: f for f in dataclasses.fields(dst)}`"""
    return (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "fields" and isinstance(node.value, ast.DictComp)
            and ast.unparse(node.value) == "{f.name: f for f in dataclasses.fields(dst)}")


class _GuardEagerDebug(ast.NodeTransformer):
    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        for name in ("body", "orelse", "finalbody"):
            statements = getattr(node, name, None)
            if isinstance(statements, list):
                setattr(node, name, [self._guard(s) if _is_eager_debug(s) else s for s in statements])
        return node

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        if _is_field_map(node):  # the same dict, built once per class (_DataclassFactsByClass)
            node.value = ast.copy_location(ast.parse("dataclasses.field_map(dst)", mode="eval").body, node.value)
        return node

    @staticmethod
    def _guard(statement: ast.Expr) -> ast.If:
        logger = cast(ast.Attribute, cast(ast.Call, statement.value).func).value  # log.debug(...): its `log`
        test = ast.Call(func=ast.Attribute(value=logger, attr="isEnabledFor", ctx=ast.Load()),
                        args=[ast.Constant(logging.DEBUG)], keywords=[])
        return ast.copy_location(ast.If(test=test, body=[statement], orelse=[]), statement)


def _lazy_debug_lines(cls: type, names: tuple[str, ...]) -> int:
    """Recompile `names` of `cls` with their eager debug lines guarded; how many were."""
    try:
        lines, first = inspect.getsourcelines(cls)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError):
        return 0
    ast.increment_lineno(tree, first - 1)  # tracebacks point at Flet's own lines
    module = sys.modules[cls.__module__]
    done = 0
    for node in cast(ast.ClassDef, tree.body[0]).body:
        if not isinstance(node, ast.FunctionDef) or node.name not in names:
            continue
        if not any(_is_eager_debug(n) for n in ast.walk(node)):
            continue
        if any(isinstance(n, ast.Attribute) and n.attr.startswith("__") and not n.attr.endswith("__")
               for n in ast.walk(node)):
            continue  # private names would need the class's name mangling
        fixed = ast.fix_missing_locations(_GuardEagerDebug().visit(node))
        namespace: dict[str, Any] = {}
        exec(compile(ast.Module(body=[fixed], type_ignores=[]), inspect.getsourcefile(cls) or "<flet>", "exec"),
             module.__dict__, namespace)
        setattr(cls, node.name, namespace[node.name])
        done += 1
    return done


class _DataclassFactsByClass:
    """`dataclasses` as object_patch uses it, with `is_dataclass` and `fields` answered once
    per class: both are facts of a class (dataclasses derives them from the class alone), and
    the diff asked them of every control and value it compared, at every update."""

    def __init__(self) -> None:
        self._is: dict[type, bool] = {}
        self._fields: dict[type, tuple[dataclasses.Field, ...]] = {}
        self._maps: dict[type, dict[str, dataclasses.Field]] = {}

    def is_dataclass(self, obj: Any) -> bool:
        cls = obj if isinstance(obj, type) else type(obj)
        known = self._is.get(cls)
        if known is None:
            known = self._is[cls] = dataclasses.is_dataclass(cls)
        return known

    def fields(self, obj: Any) -> tuple[dataclasses.Field, ...]:
        cls = obj if isinstance(obj, type) else type(obj)
        known = self._fields.get(cls)
        if known is None:
            known = self._fields[cls] = dataclasses.fields(cls)
        return known

    def field_map(self, obj: Any) -> dict[str, dataclasses.Field]:
        """`{f.name: f for f in fields(obj)}`, which _compare_dataclasses builds per control."""
        cls = obj if isinstance(obj, type) else type(obj)
        known = self._maps.get(cls)
        if known is None:
            known = self._maps[cls] = {f.name: f for f in self.fields(cls)}
        return known

    def __getattr__(self, name: str) -> Any:
        return getattr(dataclasses, name)


def install() -> None:
    if getattr(object_patch.DiffBuilder, "_helpdesk_lazy_debug", False):
        return
    setattr(object_patch.DiffBuilder, "_helpdesk_lazy_debug", True)
    guarded = _lazy_debug_lines(object_patch.DiffBuilder, ("_compare_lists", "_compare_dataclasses"))
    if guarded != 2:
        # Another Flet version: updates still work, only slower; whoever upgrades should look.
        log.warning("Flet's diff: %d of 2 eager debug lines made lazy (another Flet version?)", guarded)
    setattr(object_patch, "dataclasses", _DataclassFactsByClass())
    _shorten(BaseControl)  # every control class defined so far, and through Flet's decorator every later one
    original = base_control._apply_control

    def apply_control(cls: type, *args: Any, **kwargs: Any) -> type:
        made = original(cls, *args, **kwargs)
        setattr(made, "__repr__", _short_repr)
        return made

    base_control._apply_control = apply_control
    flet_encoder.install()
    flet_session.install()
    flet_disconnect.install()  # a fix, not a speedup: kept with the other changes to Flet


install()
