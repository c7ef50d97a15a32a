"""Phones and messaging apps: one module per kind (sms_gateway, telegram, twilio) behind the
interface in base.py. `TextChannels` runs them in the process that runs the jobs: a receive
loop per channel that fetches (Telegram's long poll, the phone's webhooks and states), and
one sender for every reply queued for sms, whatsapp or telegram. Channels added, changed or
removed (Settings or `channel add`, in any process) are picked up within seconds."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from typing import Any

from sqlalchemy.exc import DBAPIError

from helpdesk.events import CHANNEL_CHANGED, MESSAGE_CREATED, Event, WakeableLoop
from helpdesk.channels.reload import ConfigWatch
from helpdesk.channels.texts.base import UNKNOWN, ChannelDown, Refused, Sent, TextChannel
from helpdesk.channels.texts.sms_gateway import SmsGatewayChannel
from helpdesk.channels.texts.telegram import TelegramChannel
from helpdesk.channels.texts.twilio import TwilioChannel
from helpdesk.models import Channel
from helpdesk.services.deliveries import SENDING_STALE_AFTER
from helpdesk.services.messaging import LABELS, TEXT_CHANNELS, NotSendable

log = logging.getLogger(__name__)
KINDS: dict[str, type[TextChannel]] = {"sms-gateway": SmsGatewayChannel, "telegram": TelegramChannel,
                                       "twilio": TwilioChannel}
GIVE_UP_AFTER_ATTEMPTS = 300  # ≈ 3 days at the 15-minute cap


def open_channel(services: Any, channel: Channel) -> TextChannel:
    """The channel's worker object, with its secrets (raises SecretMissing when they are gone)."""
    return KINDS[channel.kind](services, channel, services.messaging.channels.secrets_of(channel))


def check(services: Any, channel: Channel) -> str:
    """"" when the far end answers with these settings, else one line why not."""
    from helpdesk.services.mail.secrets import SecretMissing

    if channel.kind not in KINDS:
        return ""  # the website chat: the site calls Helpdesk, there is nothing to reach
    try:
        worker = open_channel(services, channel)
    except SecretMissing as exc:
        return str(exc)
    try:
        return worker.check()
    finally:
        worker.close()


class ChannelLoop(WakeableLoop):
    """One channel's receive loop (for kinds that fetch): a pass is one `poll`; the far end's
    trouble is recorded and the next poll waits, 2 s doubling to a minute."""

    doing = "a channel's poll"

    def __init__(self, worker: TextChannel) -> None:
        super().__init__(None, set(), max(worker.poll_seconds, 0.2), name=f"channel-{worker.channel.name}")
        self.worker = worker
        self.failures = 0

    def start(self) -> "ChannelLoop":
        if type(self.worker).poll is not TextChannel.poll:
            super().start()
        return self

    def interrupt(self) -> None:
        self.worker.http.close()  # ends a long poll in progress

    def one_pass(self) -> bool:
        try:
            self.worker.poll()
            self.failures = 0
            self.idle_seconds = max(self.worker.poll_seconds, 0.2)
        except ChannelDown as exc:
            self.failed(str(exc))
        except Exception as exc:  # noqa: BLE001  (keep receiving; say what broke)
            if not self.stop_event.is_set():
                log.exception("channel %s failed", self.worker.channel.name)
                self.failed(f"failed: {exc.__class__.__name__}")
        return False

    def failed(self, reason: str) -> None:
        self.failures += 1
        if not self.stop_event.is_set():
            self.worker.record(reason)
        self.idle_seconds = min(60.0, 2.0 ** self.failures)


class SendLoop(WakeableLoop):
    """Replies queued for sms, whatsapp and telegram leave through their channels' workers: a
    pass at once when a reply is written, else every `interval` for retries."""

    name = "channel-sender"
    doing = "the channel sender's pass"

    def __init__(self, texts: "TextChannels", interval: float) -> None:
        super().__init__(texts.services.events, {MESSAGE_CREATED}, interval, gather_seconds=0.02)
        self.texts = texts

    def woken(self, event: Event) -> None:
        if event.data.get("direction") == "out":
            self.wake()

    def one_pass(self) -> bool:
        return self.texts.send_round(self.stop_event)


class TextChannels:
    def __init__(self, services: Any, send_interval: float = 1.0) -> None:
        self.services = services
        self.loops: dict[int, tuple[object, ChannelLoop]] = {}
        self.lock = threading.Lock()
        self.sender = SendLoop(self, send_interval)
        self.watch = ConfigWatch(services.events, {CHANNEL_CHANGED}, self._sync, "channels")

    @property
    def send_passes(self) -> int:
        """Finished rounds over the outbox (tests wait on it)."""
        return self.sender.passes

    def start(self) -> "TextChannels":
        self._sync()
        self.watch.start()
        self.sender.start()
        return self

    def stop(self) -> None:
        self.watch.stop(wait=10)
        self.sender.stop(wait=10)
        with self.lock:
            for _, loop in self.loops.values():
                loop.stop()
            self.loops.clear()

    def worker(self, channel_id: int) -> TextChannel | None:
        with self.lock:
            entry = self.loops.get(channel_id)
        return entry[1].worker if entry else None

    # ---- channels come and go ------------------------------------------------------------------

    def _sync(self) -> None:
        from helpdesk.services.mail.secrets import SecretMissing

        wanted = {c.id: c for c in self.services.messaging.channels.all() if c.active and c.kind in KINDS}
        with self.lock:
            for channel_id in list(self.loops):
                stamp, loop = self.loops[channel_id]
                if channel_id not in wanted or _stamp(wanted[channel_id]) != stamp:
                    loop.stop()
                    del self.loops[channel_id]
            for channel_id, channel in wanted.items():
                if channel_id in self.loops:
                    continue
                try:
                    worker = open_channel(self.services, channel)
                except SecretMissing as exc:
                    self.services.messaging.channels.contact(channel_id, str(exc))
                    continue
                self.loops[channel_id] = (_stamp(channel), ChannelLoop(worker).start())

    # ---- replies out ---------------------------------------------------------------------------

    def send_round(self, stop: threading.Event) -> bool:
        """One round over the outbox's texts; True when something was sent (look again at once)."""
        sent_any = False
        for kind in TEXT_CHANNELS:
            try:
                for due in self.services.deliveries.interrupted(kind):
                    self.reconcile_one(due)
                for due in self.services.deliveries.due(kind):
                    if stop.is_set():
                        return False
                    self.send_one(due)
                    sent_any = True
            except DBAPIError as exc:
                log.warning("the channel sender cannot read the outbox: %s", exc.__class__.__name__)
            except Exception:
                log.exception("the channel sender failed")
        return sent_any

    def reconcile_one(self, due: Any) -> str:
        """A reply left `sending` when Helpdesk stopped: recorded as sent when the far end has it,
        else sent now (with a word in the thread when the far end cannot tell whether it went)."""
        deliveries = self.services.deliveries
        out = self.services.messaging.compose(due)
        worker = None if isinstance(out, NotSendable) else self.worker(out.channel_id)
        if worker is None:
            deliveries.requeue(due.id)  # the usual path says why it cannot go
            return "queued"
        try:
            found = worker.reconcile(out, due.since or self.services.clock.now() - SENDING_STALE_AFTER)
        except ChannelDown as exc:
            worker.record(str(exc))
            return "sending"  # asked again on the next round
        if isinstance(found, Sent):
            deliveries.sent(due.id, found.external_id, delivered=found.delivered)
            return "sent"
        if found == UNKNOWN:
            self.services.messaging.may_arrive_twice(due.message_id, LABELS.get(due.channel, due.channel))
        deliveries.requeue(due.id)
        return self.send_one(replace(due, external_id=out.reference))

    def send_one(self, due: Any) -> str:
        deliveries = self.services.deliveries
        out = self.services.messaging.compose(due)
        if isinstance(out, NotSendable):
            if out.retry:
                deliveries.retry(due.id, due.attempts + 1, out.reason)
                return "queued"
            deliveries.failed(due.id, out.reason)
            return "failed"
        worker = self.worker(out.channel_id)
        if worker is None:
            deliveries.retry(due.id, due.attempts + 1, "the channel is paused or its secrets are missing")
            return "queued"
        # "sending", with our id for it, before the far end is called: a crash before its answer
        # is recorded is found by reconcile_one rather than sent again blindly.
        deliveries.sending(due.id, out.reference)
        try:
            sent = worker.send(out)
        except Refused as exc:
            deliveries.failed(due.id, str(exc))
            return "failed"
        except ChannelDown as exc:
            worker.record(str(exc))
            if due.attempts + 1 >= GIVE_UP_AFTER_ATTEMPTS:
                deliveries.failed(due.id, f"not sent after 3 days of trying: {exc}")
                return "failed"
            deliveries.retry(due.id, due.attempts + 1, str(exc))
            return "queued"
        except OSError as exc:
            deliveries.failed(due.id, f"an attached file cannot be read: {exc.strerror or exc}")
            return "failed"
        deliveries.sent(due.id, sent.external_id, delivered=sent.delivered)
        worker.record("")
        return "delivered" if sent.delivered else "sent"


def _stamp(channel: Channel) -> object:
    return (channel.updated_at, channel.kind, repr(channel.config), channel.secret, channel.secret_store,
            channel.name)
