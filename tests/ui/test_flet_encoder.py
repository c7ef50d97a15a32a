"""ui/flet_encoder.py sends exactly what Flet's own encoder sends: the same bytes for the whole
real workspace (inbox rows, an open thread, composer, menus), and the same snapshots left on
each control for the next update's diff (a wrong snapshot would send wrong patches later)."""

from __future__ import annotations

import asyncio
import dataclasses

import msgpack
from flet.controls.base_control import BaseControl
from flet.messaging import protocol

from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from helpdesk.ui import flet_encoder, flet_speedups  # noqa: F401  (installs)
from tests.ui.flet_wire import offline_workspace

SNAPSHOTS = ("__prev_lists", "__prev_dicts", "__prev_classes")


def _encode(root: object, encoder) -> tuple[bytes, dict[int, tuple]]:  # type: ignore[no-untyped-def]
    seen: list[object] = []

    def recording(obj):  # type: ignore[no-untyped-def]
        if dataclasses.is_dataclass(obj):
            seen.append(obj)
        return encoder(obj)

    data = msgpack.packb(root, default=recording)
    # What each control keeps for the diff: its lists' items by identity, dicts and dataclasses as they are.
    kept = {id(o): tuple({k: [id(i) for i in v] if isinstance(v, list) else v for k, v in getattr(o, name).items()}
                         for name in SNAPSHOTS) for o in seen}
    return data, kept


def test_the_fast_encoder_sends_what_flets_own_sends_for_the_real_workspace(app):
    services = app.services
    bea = services.agents.create("bea@shop.example", "Bea", "a long password", role="admin", actor=Actor.system())
    first = services.conversations.receive(IncomingMessage(body="My helmet strap broke", email="gia@example.com",
                                                           subject="Helmet"))
    for n in range(5):
        services.conversations.reply(first.conversation_id, Actor.for_agent(bea), f"Reply {n}", then="open")
        services.conversations.receive(IncomingMessage(body=f"Still broken {n}", email="gia@example.com",
                                                       conversation_id=first.conversation_id))
    services.conversations.receive(IncomingMessage(body="Where is my parcel?", email="hal@example.com"))

    async def scenario() -> None:
        workspace, wire = await offline_workspace(app, bea)
        await workspace.open(first.conversation_id)
        assert protocol.configure_encode_object_for_msgpack is flet_encoder.configure  # installed on this Flet
        flets = flet_encoder._ORIGINAL(BaseControl)
        ours = flet_encoder.fast_encoder(BaseControl)
        theirs_bytes, theirs_kept = _encode(workspace.page, flets)
        ours_bytes, ours_kept = _encode(workspace.page, ours)
        assert b"Still broken 4" in ours_bytes and b"Where is my parcel?" in ours_bytes
        assert ours_bytes == theirs_bytes
        assert ours_kept == theirs_kept and len(ours_kept) > 100
        await workspace.leave()
        del wire

    asyncio.run(scenario())


def test_without_sources_as_in_a_packaged_build_the_pinned_flet_version_decides(monkeypatch):
    from helpdesk.ui import flet_source

    def no_source(_code):  # type: ignore[no-untyped-def]
        raise OSError("could not get source code")  # what a PyInstaller build says

    monkeypatch.setattr(flet_source.inspect, "getsource", no_source)
    assert flet_source.is_known(flet_encoder._ORIGINAL, "not the digest")  # Flet is the pinned version
    monkeypatch.setattr(flet_source, "flet_version", "0.99.0")
    assert not flet_source.is_known(flet_encoder._ORIGINAL, flet_encoder.KNOWN_SOURCE)
