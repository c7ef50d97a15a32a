"""SMS through the shop's own Android phone running SMS Gateway for Android (capcom6/
android-sms-gateway) in "Local Server" mode: the phone sends and receives texts over the
mobile network while Helpdesk talks to it over the LAN, so texts work with no internet.

From the app's local API: send with POST /message (Basic auth), body {"textMessage":
{"text"}, "phoneNumbers", "id"} where `id` is ours, so a retry after a lost answer is the
same text; read its state with GET /message/{id} (Pending → Processed → Sent → Delivered,
or Failed). Texts arrive through webhooks Helpdesk registers with the phone itself
(POST /webhooks {"id","url","event"}), again whenever they are missing (the app was
reinstalled). A signing key makes the phone sign each request: X-Signature is the hex
HMAC-SHA256 of the raw body followed by X-Timestamp, which must be within 5 minutes."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets as secrets_module
import time
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from helpdesk.services.base import same_secret
from helpdesk.channels.texts.base import BadRequest, ChannelDown, Forged, Refused, Sent, TextChannel, describe
from helpdesk.services.channel_kinds import HookAnswer, HookRequest
from helpdesk.services.messaging.config import callback_url
from helpdesk.services.messaging.intake import IncomingText

EVENTS = ("sms:received", "sms:sent", "sms:delivered", "sms:failed")
STATES = {"sent": "sent", "delivered": "delivered", "failed": "failed"}
SKEW = timedelta(minutes=5)
WEBHOOK_SECONDS = 60.0  # how often the phone's webhooks are looked at (re-registered when gone)


def verify(body: bytes, signature: str, timestamp: str, key: str, now: datetime) -> None:
    """Raise Forged (403) unless the phone signed this body at about this time."""
    try:
        at = datetime.fromtimestamp(int(timestamp), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        raise Forged("missing or bad X-Timestamp") from None
    if abs(now - at) > SKEW:
        raise Forged("X-Timestamp is more than 5 minutes off (a replayed request, or the phone's clock)")
    expected = hmac.new(key.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()
    if not same_secret(expected, (signature or "").strip().lower()):
        raise Forged("the signature does not match the signing key")


def parse_webhook(body: bytes) -> dict[str, Any]:
    try:
        envelope = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("the body is not JSON") from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("payload"), dict) \
            or not isinstance(envelope.get("event"), str) or not envelope.get("id"):
        raise BadRequest("not a webhook of SMS Gateway for Android (event, id and payload expected)")
    return envelope


class SmsGatewayChannel(TextChannel):
    kind = "sms-gateway"
    poll_seconds = 15.0

    def __init__(self, services: Any, channel: Any, secrets: dict[str, str]) -> None:
        super().__init__(services, channel, secrets)
        parts = urlsplit(self.config["url"])
        self.base = f"{parts.scheme}://{parts.hostname}{':' + str(parts.port) if parts.port else ''}"
        self.auth = (parts.username or "sms", secrets.get("password", ""))
        self.where = f"the phone at {parts.hostname}"
        self._webhooks_checked = 0.0

    def callback_url(self) -> str:
        return callback_url(self.channel, self.services.links.lan_url())

    # ---- the phone's API --------------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            answer = self.http.request(method, self.base + path, auth=self.auth, **kwargs)
        except httpx.HTTPError as exc:
            raise ChannelDown(f"{self.where} {describe(exc)}") from None
        if answer.status_code == 401:
            raise ChannelDown(f"{self.where} refused the password (the app's Local Server password)")
        if answer.status_code >= 500 or answer.status_code == 429:
            raise ChannelDown(f"{self.where} answered {answer.status_code}")
        return answer

    def check(self) -> str:
        """The phone answers, holds Helpdesk's webhooks, and their address reaches this Helpdesk."""
        try:
            answer = self._call("GET", "/webhooks")
            if answer.status_code != 200:
                return f"{self.where} answered {answer.status_code}: is this SMS Gateway for Android's local server?"
            self.ensure_webhooks()
        except ChannelDown as exc:
            return str(exc)
        return self.probe_callback()

    def probe_callback(self) -> str:
        """Call our own callback address the way the phone will, and check that this Helpdesk (this
        database) answers there: "" when it does, else one line why texts would be lost."""
        url = self.callback_url()
        nonce = secrets_module.token_hex(16)
        try:
            # Not verified: a certificate the phone trusts need not be one this PC trusts; the
            # proof below says who answered.
            with httpx.Client(timeout=httpx.Timeout(5.0), verify=False, follow_redirects=False) as client:
                answer = client.get(url, params={"probe": nonce})
        except httpx.HTTPError:
            return (f"texts would be lost: nothing answers at {url}; is Helpdesk running, and is that the address "
                    "the phone reaches it by?")
        try:
            proof = answer.json().get("proof", "") if answer.status_code == 200 else ""
        except ValueError:
            proof = ""
        expected = self.services.files.proof(f"channel-probe:{self.channel.name}", nonce)
        if not isinstance(proof, str) or not same_secret(expected, proof):
            return (f"texts would be lost: {url} answered {answer.status_code} but is not this channel's webhook "
                    "in this Helpdesk; give the address the phone reaches Helpdesk by (e.g. https://helpdesk.shop.lan:8443)")
        return ""

    def send(self, out: Any) -> Sent:
        text = out.text
        if out.files:  # the phone sends plain texts: name what could not go with it
            text += "\n" + "\n".join(f"[{f.filename}: not sent by SMS]" for f in out.files)
        body = {"textMessage": {"text": text}, "phoneNumbers": [out.to], "id": out.reference}
        answer = self._call("POST", "/message", json=body)
        if answer.status_code == 409:  # the phone already has this id: the earlier try got through
            return Sent(out.reference)
        if answer.status_code >= 400:
            raise Refused(f"{self.where} refused the text ({answer.status_code}): {_reason(answer)}")
        state = str(_json(answer).get("state", "")).lower()
        if state == "failed":
            raise Refused(f"{self.where} could not send it: {_recipient_error(_json(answer))}")
        return Sent(out.reference, delivered=state == "delivered")

    def poll(self) -> None:
        now = time.monotonic()
        if not self._webhooks_checked or now - self._webhooks_checked >= WEBHOOK_SECONDS:
            self.ensure_webhooks()
            self._webhooks_checked = now
        self.read_states()
        self.record("")

    def ensure_webhooks(self) -> None:
        """Our receiver for each event, registered with the phone when it is missing."""
        url = self.callback_url()
        answer = self._call("GET", "/webhooks")
        have = _json(answer) if answer.status_code == 200 else []
        have = have if isinstance(have, list) else []
        for event in EVENTS:
            if any(isinstance(h, dict) and h.get("event") == event and h.get("url") == url for h in have):
                continue
            hook_id = f"helpdesk-{self.channel.id}-{event.split(':')[1]}"
            answer = self._call("POST", "/webhooks", json={"id": hook_id, "url": url, "event": event})
            if answer.status_code >= 400:
                raise ChannelDown(f"{self.where} would not take Helpdesk's webhook ({answer.status_code}: "
                                  f"{_reason(answer)}); the app needs HTTPS for LAN addresses: see Settings › Channels")

    def read_states(self) -> None:
        """Delivery states of texts sent in the last two days, for phones whose webhooks cannot reach us."""
        for external_id in self.services.deliveries.awaiting_report("sms", prefix="helpdesk-"):
            answer = self._call("GET", f"/message/{quote(external_id, safe='')}")
            if answer.status_code != 200:
                continue
            data = _json(answer)
            state = STATES.get(str(data.get("state", "")).lower())
            if state:
                self.services.messaging.intake.delivery_report(
                    "sms", external_id, state, _recipient_error(data) if state == "failed" else "")

    # ---- the phone's webhooks ------------------------------------------------------------------

    def receive(self, request: HookRequest) -> HookAnswer:
        """One webhook request from the phone; answers what became of it. Unsigned requests are
        taken only from the shop's network, not through the public address."""
        return HookAnswer(json.dumps({"status": self._receive(request.body, request.headers, request.local)}))

    def _receive(self, body: bytes, headers: Any, local: bool) -> str:
        key = self.secrets.get("signing_key")
        if key:
            verify(body, headers.get("x-signature", ""), headers.get("x-timestamp", ""), key,
                   self.services.clock.now())
        elif not local:
            raise Forged("this phone channel has no signing key, so it takes webhooks only from the shop's network")
        envelope = parse_webhook(body)
        self.services.messaging.channels.webhook_arrived(self.channel.id)
        event, payload = envelope["event"], envelope["payload"]
        messaging = self.services.messaging
        if event == "sms:received":
            phone = payload.get("phoneNumber") or payload.get("sender")
            if not isinstance(phone, str) or not isinstance(payload.get("message"), str):
                raise BadRequest("sms:received needs payload.message and payload.phoneNumber")
            taken = messaging.intake.receive(IncomingText(
                channel_id=self.channel.id, kind="sms", key=f"sms-gateway:{self.channel.id}:{envelope['id']}"[:255],
                body=payload["message"], phone=phone, meta={"device": str(envelope.get("deviceId", ""))[:64]}))
            return taken.status
        if event in ("sms:sent", "sms:delivered", "sms:failed"):
            state = event.split(":")[1]
            message_id = str(payload.get("messageId", ""))
            messaging.intake.delivery_report("sms", message_id, state, str(payload.get("reason", "")) or
                                             ("the phone could not send it" if state == "failed" else ""))
            return state
        return "ignored"


def _json(answer: httpx.Response) -> Any:
    try:
        return answer.json()
    except ValueError:
        return {}


def _reason(answer: httpx.Response) -> str:
    data = _json(answer)
    if isinstance(data, dict):
        return str(data.get("message") or data.get("error") or "")[:200] or answer.reason_phrase
    return answer.reason_phrase


def _recipient_error(data: Any) -> str:
    for recipient in (data.get("recipients") or []) if isinstance(data, dict) else []:
        if isinstance(recipient, dict) and recipient.get("error"):
            return str(recipient["error"])[:300]
    return "the phone reported it failed"
