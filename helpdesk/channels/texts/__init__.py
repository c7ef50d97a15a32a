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

from helpdesk.events import CHANNEL_CHANGED
from helpdesk.channels.reload import watch
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


class ChannelLoop:
    """One channel's receive loop (for kinds that fetch)."""

    def __init__(self, worker: TextChannel) -> None:
        self.worker = worker
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"channel-{worker.channel.name}", daemon=True)

    def start(self) -> "ChannelLoop":
        if type(self.worker).poll is not TextChannel.poll:
            self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self.worker.http.close()  # ends a long poll in progress
        if self.thread.is_alive():
            self.thread.join(timeout=10)

    def _run(self) -> None:
        failures = 0
        while not self.stop_event.is_set():
            try:
                self.worker.poll()
                failures = 0
                wait = max(self.worker.poll_seconds, 0.2)
            except ChannelDown as exc:
                failures += 1
                if not self.stop_event.is_set():
                    self.worker.record(str(exc))
                wait = min(60.0, 2.0 ** failures)
            except Exception as exc:  # noqa: BLE001  (keep receiving; say what broke)
                if self.stop_event.is_set():
                    break
                failures += 1
                log.exception("channel %s failed", self.worker.channel.name)
                self.worker.record(f"failed: {exc.__class__.__name__}")
                wait = min(60.0, 2.0 ** failures)
            self.stop_event.wait(wait)


class TextChannels:
    def __init__(self, services: Any, send_interval: float = 1.0) -> None:
        self.services = services
        self.send_interval = send_interval
        self.send_passes = 0
        self.loops: dict[int, tuple[object, ChannelLoop]] = {}
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.changed = threading.Event()
        self.watcher = threading.Thread(target=self._watch, name="channels", daemon=True)
        self.sender = threading.Thread(target=self._send_loop, name="channel-sender", daemon=True)
        self._unsubscribe = services.events.subscribe(lambda e: self.changed.set(), {CHANNEL_CHANGED})

    def start(self) -> "TextChannels":
        self._sync()
        self.watcher.start()
        self.sender.start()
        return self

    def stop(self) -> None:
        self._unsubscribe()
        self.stop_event.set()
        self.changed.set()
        self.watcher.join(timeout=10)
        self.sender.join(timeout=10)
        with self.lock:
            for _, loop in self.loops.values():
                loop.stop()
            self.loops.clear()

    def worker(self, channel_id: int) -> TextChannel | None:
        with self.lock:
            entry = self.loops.get(channel_id)
        return entry[1].worker if entry else None

    # ---- channels come and go ------------------------------------------------------------------

    def _watch(self) -> None:
        watch(self.stop_event, self.changed, self._sync, "channels")

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

    def _send_loop(self) -> None:
        while not self.stop_event.is_set():
            self.send_passes += 1  # rounds begun over the outbox (tests wait on it)
            sent_any = False
            for kind in TEXT_CHANNELS:
                try:
                    for due in self.services.deliveries.interrupted(kind):
                        self.reconcile_one(due)
                    for due in self.services.deliveries.due(kind):
                        if self.stop_event.is_set():
                            return
                        self.send_one(due)
                        sent_any = True
                except DBAPIError as exc:
                    log.warning("the channel sender cannot read the outbox: %s", exc.__class__.__name__)
                except Exception:
                    log.exception("the channel sender failed")
            if not sent_any:
                self.stop_event.wait(self.send_interval)

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
