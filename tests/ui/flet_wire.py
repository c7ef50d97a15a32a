"""A Flet page with no browser behind it: its session encodes every message exactly as
Flet's socket server does (msgpack, the same encoder) and keeps the bytes, so a test can see
what an update would send and a benchmark can time the server's whole share of it."""

from __future__ import annotations

import asyncio

import flet as ft
import msgpack
from flet.controls.base_control import BaseControl
from flet.messaging.connection import Connection
from flet.messaging.protocol import configure_encode_object_for_msgpack
from flet.messaging.session import Session
from flet.pubsub.pubsub_hub import PubSubHub

ENCODE = configure_encode_object_for_msgpack(BaseControl)


class Wire(Connection):
    def __init__(self, keep: bool = True) -> None:
        super().__init__()
        self.pubsubhub = PubSubHub()
        self.keep = keep
        self.sent: list[bytes] = []

    def send_message(self, message: object) -> None:
        data = msgpack.packb([message.action, message.body], default=ENCODE)  # type: ignore[attr-defined]
        if self.keep:
            self.sent.append(data)

    def sent_since(self, mark: int) -> bytes:
        return b"".join(self.sent[mark:])


def offline_page(keep: bool = True) -> tuple[ft.Page, Wire]:
    """A page as a browser would have it after connecting (call inside a running loop). Keep
    the wire while using the page: it holds the session, which the page only references weakly."""
    wire = Wire(keep)
    wire.loop = asyncio.get_running_loop()
    wire.session = Session(wire)
    msgpack.packb(wire.session.get_page_patch(), default=ENCODE)
    return wire.session.page, wire
