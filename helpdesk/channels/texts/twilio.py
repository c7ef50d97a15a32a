"""Twilio: SMS and MMS from the shop's Twilio number, and WhatsApp through Twilio's official
WhatsApp sender (addresses `whatsapp:+1…`, the same webhook and Messages API).

Twilio calls Helpdesk, so it needs the shop's public address. Every request it makes is
refused unless X-Twilio-Signature verifies: base64 HMAC-SHA1, keyed with the auth token, of
the full URL Twilio called (built from the configured public address, never from Host)
followed by each POST field's name and value, sorted by name. Replies leave by
POST /2010-04-01/Accounts/{sid}/Messages.json with a status callback for delivery states."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode

import httpx

from helpdesk.services.base import same_secret
from helpdesk.channels.texts.base import (NOT_SENT, BadRequest, ChannelDown, Forged, Refused, Sent, TextChannel,
                                          describe)
from helpdesk.services.channel_kinds import HookAnswer, HookRequest
from helpdesk.services.messaging.config import webhook_path
from helpdesk.services.messaging.intake import IncomingText

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
STATES = {"sent": "sent", "delivered": "delivered", "read": "delivered", "undelivered": "failed", "failed": "failed"}
MAX_MEDIA = 10


def signature(auth_token: str, url: str, fields: list[tuple[str, str]]) -> str:
    # As Twilio's own validators do: names sorted, a name's distinct values sorted under it.
    values: dict[str, set[str]] = {}
    for name, value in fields:
        values.setdefault(name, set()).add(value)
    data = url + "".join(name + value for name in sorted(values) for value in sorted(values[name]))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def verify(auth_token: str, url: str, fields: list[tuple[str, str]], given: str) -> None:
    if not given or not same_secret(signature(auth_token, url, fields), given.strip()):
        raise Forged("X-Twilio-Signature does not verify")


class TwilioChannel(TextChannel):
    kind = "twilio"
    poll_seconds = 0.0  # Twilio calls us

    def __init__(self, services: Any, channel: Any, secrets: dict[str, str]) -> None:
        super().__init__(services, channel, secrets)
        self.api = self.config.get("api_url", "https://api.twilio.com").rstrip("/")
        self.sid = self.config["account_sid"]
        self.auth = (self.sid, secrets.get("auth_token", ""))

    def public_url(self, path: str) -> str:
        base = self.services.links.public_url()
        if not base:
            raise Forged("Twilio needs the address customers use (Settings › Customer page) to check its signature")
        return base.rstrip("/") + path

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            answer = self.http.request(method, f"{self.api}/2010-04-01/Accounts/{self.sid}{path}", auth=self.auth,
                                       **kwargs)
        except httpx.HTTPError as exc:
            raise ChannelDown(f"Twilio {describe(exc)}") from None
        if answer.status_code in (401, 403):
            raise ChannelDown("Twilio refused the Account SID and auth token")
        if answer.status_code == 429 or answer.status_code >= 500:
            raise ChannelDown(f"Twilio answered {answer.status_code}")
        return answer

    def check(self) -> str:
        try:
            answer = self._call("GET", ".json")
        except ChannelDown as exc:
            return str(exc)
        return "" if answer.status_code == 200 else f"Twilio answered {answer.status_code}"

    # ---- sending -------------------------------------------------------------------------------

    def _addresses(self, out: Any) -> tuple[str, str]:
        """(To, From) as Twilio writes them."""
        whatsapp = out.kind == "whatsapp"
        sender = self.config.get("whatsapp_from") if whatsapp else self.config.get("from")
        if whatsapp and sender and not str(sender).startswith("whatsapp:"):
            sender = f"whatsapp:{sender}"
        return (f"whatsapp:{out.to}" if whatsapp else out.to), str(sender)

    def _body(self, out: Any) -> str:
        if out.files and not self.services.links.public_url():
            return (out.text + "\n" + "\n".join(f"[{f.filename}: not sent]" for f in out.files))[:1600]
        return out.text[:1600]

    def send(self, out: Any) -> Sent:
        to, sender = self._addresses(out)
        fields: list[tuple[str, str]] = [("To", to), ("From", sender), ("Body", self._body(out))]
        if self.services.links.public_url():
            # Our own id rides in the callback's address: a report for a reply whose answer was
            # never recorded (Helpdesk stopped mid-send) still finds it.
            hook = webhook_path(self.kind, self.channel.name) + "/status?" + urlencode({"ref": out.reference})
            fields.append(("StatusCallback", self.public_url(hook)))
            fields += [("MediaUrl", f.url) for f in out.files[:MAX_MEDIA] if f.url]
        answer = self._call("POST", "/Messages.json", content=urlencode(fields).encode(),
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
        data = _json(answer)
        if answer.status_code >= 400:
            raise Refused(f"Twilio refused it ({data.get('code', answer.status_code)}): "
                          f"{str(data.get('message', ''))[:300]}")
        sid = str(data.get("sid", ""))
        return Sent(sid or out.reference, delivered=data.get("status") == "delivered")

    def reconcile(self, out: Any, since: datetime) -> "Sent | str":
        """Twilio keeps every message: the recent ones to this customer from this number are looked
        at for this reply's text, created since the try began."""
        to, sender = self._addresses(out)
        answer = self._call("GET", "/Messages.json", params={"To": to, "From": sender, "PageSize": "50"})
        if answer.status_code != 200:
            raise ChannelDown(f"Twilio answered {answer.status_code} when asked for its messages")
        body = self._body(out)
        for message in _json(answer).get("messages") or []:
            try:
                created = parsedate_to_datetime(str(message.get("date_created", "")))
            except (TypeError, ValueError):
                continue
            if message.get("body") == body and created >= since - timedelta(minutes=1) and message.get("sid"):
                return Sent(str(message["sid"]), delivered=message.get("status") == "delivered")
        return NOT_SENT

    # ---- Twilio's webhooks ---------------------------------------------------------------------

    def receive(self, request: HookRequest) -> HookAnswer:
        """A message (or, at /status, a delivery state) Twilio posts as a form; answered with
        empty TwiML (Helpdesk replies through the Messages API, not in the answer)."""
        try:
            fields = parse_qsl(request.body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise BadRequest("the form is not UTF-8") from None
        self._receive(fields, request.headers.get("x-twilio-signature", ""), request.suffix == "/status",
                      request.query)
        return HookAnswer(EMPTY_TWIML, "text/xml")

    def _receive(self, fields: list[tuple[str, str]], given_signature: str, status_callback: bool,
                 query: str) -> str:
        path = webhook_path(self.kind, self.channel.name) + ("/status" if status_callback else "") \
            + (f"?{query}" if query else "")
        verify(self.secrets.get("auth_token", ""), self.public_url(path), fields, given_signature)
        form = dict(fields)
        messaging = self.services.messaging
        if status_callback:
            state = STATES.get(form.get("MessageStatus", ""))
            if state and form.get("MessageSid"):
                kind = "whatsapp" if form.get("To", "").startswith("whatsapp:") else "sms"
                error = f"Twilio error {form['ErrorCode']}" if form.get("ErrorCode") else ""
                reference = (parse_qs(query).get("ref") or [""])[0][:255]
                messaging.intake.delivery_report(kind, form["MessageSid"], state, error, reference=reference)
            return state or "ignored"
        sender, sid = form.get("From", ""), form.get("MessageSid") or form.get("SmsSid", "")
        if not sender or not sid:
            raise BadRequest("From and MessageSid are needed")
        whatsapp = sender.startswith("whatsapp:")
        files, missing = [], []
        for i in range(min(_int(form.get("NumMedia")), MAX_MEDIA)):
            url = form.get(f"MediaUrl{i}")
            try:
                files.append(self._media(url or "", form.get(f"MediaContentType{i}", ""), i, sid))
            except ChannelDown as exc:  # the text still arrives; people see what is missing
                missing.append(f"[a file could not be fetched from Twilio: {exc}]")
        meta: dict[str, Any] = {"to": form.get("To", "")[:64]}
        body = "\n".join([form.get("Body", ""), *missing]).strip()
        place = _location(form)
        if place is not None:
            meta["location"] = place
            if not body or body == place["title"]:
                title = place["title"]
                body = f"Shared a location{': ' + title if title else ''} ({place['latitude']:.5f}, " \
                       f"{place['longitude']:.5f})"
        taken = messaging.intake.receive(IncomingText(
            channel_id=self.channel.id, kind="whatsapp" if whatsapp else "sms", key=f"twilio:{sid}"[:255],
            body=body, phone=sender.removeprefix("whatsapp:"), name=form.get("ProfileName", ""), files=files,
            meta=meta))
        return taken.status

    def _media(self, url: str, content_type: str, index: int, sid: str) -> tuple[str, bytes]:
        if not url.startswith(("https://", "http://")):
            raise ChannelDown("no media address")
        try:  # Twilio answers media with a redirect to its file store
            answer = self.http.get(url, auth=self.auth, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise ChannelDown(f"Twilio's media {describe(exc)}") from None
        if answer.status_code != 200:
            raise ChannelDown(f"Twilio's media answered {answer.status_code}")
        extension = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "application/pdf": ".pdf",
                     "video/mp4": ".mp4", "audio/ogg": ".ogg"}.get(content_type.split(";")[0].strip(), "")
        return f"{sid}-{index + 1}{extension}", answer.content


def _int(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0


def _json(answer: httpx.Response) -> dict:
    try:
        data = answer.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _location(form: dict[str, str]) -> dict[str, Any] | None:
    """A WhatsApp location: Latitude and Longitude, with a Label (a place) or Address; None when the
    message shares none (or numbers that are not numbers)."""
    try:
        latitude, longitude = float(form.get("Latitude", "")), float(form.get("Longitude", ""))
    except ValueError:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return {"latitude": latitude, "longitude": longitude, "title": (form.get("Label") or form.get("Address") or "")[:200]}
