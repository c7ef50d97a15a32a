"""Flet 0.82's message encoder, with each class's fields worked out once.

Every control sent to a browser goes through `encode_object_for_msgpack` (flet/messaging/
protocol.py). For each control it asks `dataclasses.fields()` again and, for each of its
fields (a Container has 67), walks the class's MRO to find the base class's default: about
a third of a 200-message thread's open, on the event loop that serves every agent's clicks.
Both are facts of the class. `fast_encoder` works them out once per class and then does
exactly what Flet's own encoder does, value by value (tests/ui/test_flet_encoder.py compares
the two on the real workspace, bytes and the snapshots the diff keeps).

If protocol.py is not the source this was written against (another Flet version), nothing is
replaced: updates stay correct, only slower, and a warning says so."""

from __future__ import annotations

import logging
import sys
from dataclasses import fields, is_dataclass
from typing import Any, Callable

from flet.controls import object_patch
from flet.messaging import protocol

from helpdesk.ui.flet_source import is_known

log = logging.getLogger(__name__)

# The start of sha256 of protocol.configure_encode_object_for_msgpack's source in Flet 0.82.2.
KNOWN_SOURCE = "22d76cffd5767cab"
_ORIGINAL = protocol.configure_encode_object_for_msgpack
# Modules that take the name from protocol when imported (the web server's, the desktop's):
# those imported before install() are changed too, those imported after get the new one.
_USERS = ("flet_web.fastapi.flet_app", "flet.messaging.flet_socket_server")


def _plan(cls: type, control_cls: type) -> tuple[bool, tuple[tuple[str, bool, Any], ...]]:
    """(is a control, [(field name, is an event handler, the default it is compared with)])."""
    control = issubclass(cls, control_cls)
    plan = []
    for field in fields(cls):
        if "skip" in field.metadata:
            continue
        default = field.default
        if control:
            root = protocol._get_root_dataclass_field(cls, field.name)
            if root is not None:
                default = root.default
        plan.append((field.name, field.name.startswith("on_") and field.metadata.get("event", True), default))
    return control, tuple(plan)


def fast_encoder(control_cls: type) -> Callable[[Any], Any]:
    """What `configure_encode_object_for_msgpack(control_cls)` returns, with per-class plans."""
    original = _ORIGINAL(control_cls)
    plans: dict[type, tuple[bool, tuple[tuple[str, bool, Any], ...]] | None] = {}

    def encode(obj: Any) -> Any:
        cls = type(obj)
        try:
            plan = plans[cls]
        except KeyError:
            plan = plans[cls] = _plan(cls, control_cls) if is_dataclass(cls) and cls is not type else None
        if plan is None:  # enums, times, durations: Flet's own branches
            return original(obj)
        control, entries = plan
        # dataclasses itself, or once flet_speedups is installed its stand-in that answers once per class
        a_dataclass = object_patch.dataclasses.is_dataclass
        r: dict[str, Any] = {}
        prev_lists: dict[str, Any] = {}
        prev_dicts: dict[str, Any] = {}
        prev_classes: dict[str, Any] = {}
        for name, event, default in entries:
            v = getattr(obj, name)
            if isinstance(v, list):
                v = v[:]
                if v:
                    r[name] = v
                prev_lists[name] = v
            elif isinstance(v, dict):
                v = v.copy()
                if v:
                    r[name] = v
                prev_dicts[name] = v
            elif event:
                if v is not None:
                    r[name] = True
            elif a_dataclass(v):
                r[name] = v
                prev_classes[name] = v
            elif v is not None and (not control or v != default):
                r[name] = v
        if not hasattr(obj, "_frozen"):
            setattr(obj, "__prev_lists", prev_lists)
            setattr(obj, "__prev_dicts", prev_dicts)
            setattr(obj, "__prev_classes", prev_classes)
        return r

    return encode


_made: dict[type, Callable[[Any], Any]] = {}


def configure(control_cls: type) -> Callable[[Any], Any]:
    """The stand-in for `configure_encode_object_for_msgpack`: one encoder per base class, kept
    (Flet's web server configures one for every message it sends)."""
    made = _made.get(control_cls)
    if made is None:
        made = _made[control_cls] = fast_encoder(control_cls)
    return made


def install() -> bool:
    if not is_known(_ORIGINAL, KNOWN_SOURCE):
        log.warning("Flet's message encoder is not the one this speedup was written for (another Flet "
                    "version?): left as it is")
        return False
    protocol.configure_encode_object_for_msgpack = configure
    for name in _USERS:
        module = sys.modules.get(name)
        if getattr(module, "configure_encode_object_for_msgpack", None) is _ORIGINAL:
            setattr(module, "configure_encode_object_for_msgpack", configure)
    return True
