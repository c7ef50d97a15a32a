"""Short reprs for Flet's controls, because Flet 0.82's diff formats them on every update.

`flet/controls/object_patch.py` logs `logger.debug(f"... {src} {dst}")` at the top of
`_compare_lists` and `_compare_dataclasses`. The f-string runs whether or not debug logging
is on, and a control's dataclass repr walks its whole subtree, so each page update formats
every subtree it compares, nested lists again at each level. Measured with an inbox of 50
rows: most of an update's time went there (`bench/diff.py`), and under live events it held
the event loop that serves every agent's clicks. A control's repr is now its type and key,
which is all a person reading a traceback needs; nothing in Flet reads reprs otherwise.

Import this module before building any page (ui/app.py does)."""

from __future__ import annotations

from typing import Any

from flet.controls import base_control
from flet.controls.base_control import BaseControl


def _short_repr(self: Any) -> str:
    key = getattr(self, "key", None)
    return f"{type(self).__name__}(key={key!r})" if key is not None else f"{type(self).__name__}()"


def _shorten(cls: type) -> None:
    cls.__repr__ = _short_repr  # type: ignore[method-assign]
    for sub in cls.__subclasses__():
        _shorten(sub)


def install() -> None:
    """Every control class defined so far, and (through Flet's own decorator) every later one."""
    _shorten(BaseControl)
    original = base_control._apply_control
    if getattr(original, "_helpdesk_short_repr", False):
        return

    def apply_control(cls: type, *args: Any, **kwargs: Any) -> type:
        made = original(cls, *args, **kwargs)
        made.__repr__ = _short_repr  # type: ignore[method-assign]
        return made

    apply_control._helpdesk_short_repr = True  # type: ignore[attr-defined]
    base_control._apply_control = apply_control  # type: ignore[assignment]


install()
