"""A Telegram bot: long polling, so it needs no public address. getUpdates with the stored
offset (an update is confirmed only after its message is committed, so none is handled
twice across restarts, and none lost); sendMessage, sendPhoto and sendDocument; photos and
documents customers send come in through getFile. The customer is their Telegram user id,
with their name. The API's base URL is a setting, so tests point it at a fake on loopback."""

from __future__ import annotations

import logging
import mimetypes
from typing import Any

import httpx

from helpdesk.channels.texts.base import UNKNOWN, ChannelDown, Refused, Sent, TextChannel, describe
from helpdesk.services.messaging.intake import IncomingText

log = logging.getLogger(__name__)
LONG_POLL_SECONDS = 25
MAX_FILE = 20 * 1024 * 1024  # the Bot API serves files up to 20 MB


class TelegramChannel(TextChannel):
    kind = "telegram"
    poll_seconds = 0.0  # getUpdates waits for news itself

    def __init__(self, services: Any, channel: Any, secrets: dict[str, str]) -> None:
        super().__init__(services, channel, secrets)
        self.api = self.config.get("api_url", "https://api.telegram.org").rstrip("/")
        self.token = secrets.get("token", "")
        self.bot_id = self.token.split(":", 1)[0]  # public: the bot's own user id
        self.long_poll = int(self.config.get("long_poll_seconds", LONG_POLL_SECONDS))
        self.http = httpx.Client(timeout=httpx.Timeout(self.long_poll + 10.0, connect=5.0))

    def _call(self, method: str, files: dict | None = None, **params: Any) -> Any:
        try:
            if files:
                answer = self.http.post(f"{self.api}/bot{self.token}/{method}", data=params, files=files)
            else:
                answer = self.http.post(f"{self.api}/bot{self.token}/{method}", json=params)
        except httpx.HTTPError as exc:
            raise ChannelDown(f"Telegram {describe(exc)}") from None
        try:
            data = answer.json()
        except ValueError:
            raise ChannelDown(f"Telegram answered {answer.status_code} without JSON") from None
        if data.get("ok"):
            return data.get("result")
        description = str(data.get("description", ""))[:200]
        code = data.get("error_code", answer.status_code)
        if code == 401 or code == 404:
            raise ChannelDown("Telegram refused the bot token (from @BotFather)")
        if code == 429 or (isinstance(code, int) and code >= 500):
            raise ChannelDown(f"Telegram asks to wait: {description}")
        if code == 409:
            raise ChannelDown("another program reads this bot's updates (a webhook or a second Helpdesk)")
        raise Refused(f"Telegram refused it: {description}")

    def check(self) -> str:
        try:
            me = self._call("getMe")
        except (ChannelDown, Refused) as exc:
            return str(exc)
        return "" if isinstance(me, dict) and me.get("is_bot") else "that token is not a bot's"

    # ---- receiving ----------------------------------------------------------------------------

    def poll(self) -> None:
        offset = int((self.channel.state or {}).get("offset", 0))
        updates = self._call("getUpdates", offset=offset, timeout=self.long_poll,
                             allowed_updates=["message", "edited_message", "callback_query"])
        for update in updates or []:
            update_id = int(update.get("update_id", 0))
            try:
                self.take(update)
            except (ChannelDown, httpx.HTTPError):
                raise  # its file could not be fetched: the same update comes again next time
            except Exception as exc:  # one bad update never blocks the ones after it
                log.warning("%s: Telegram update %s was skipped: %s", self.channel.name, update_id, exc)
            offset = update_id + 1
            self.channel.state = {**(self.channel.state or {}), "offset": offset}
            self.record("", self.channel.state)
        if not updates:
            self.record("")

    def take(self, update: dict) -> str:
        if isinstance(update.get("callback_query"), dict):
            return self._tapped(update)
        message = update.get("message") or update.get("edited_message")
        if not isinstance(message, dict) or (message.get("chat") or {}).get("type") != "private":
            return "ignored"  # groups, channels, joins: not a customer writing to the shop
        sender = message.get("from") or {}
        if sender.get("is_bot") or not sender.get("id"):
            return "ignored"
        name = " ".join(p for p in (sender.get("first_name"), sender.get("last_name")) if p)
        files = []
        if message.get("photo"):
            best = max(message["photo"], key=lambda p: p.get("file_size") or p.get("width", 0))
            files.append(self._file(best["file_id"], f"photo-{message.get('message_id', 'telegram')}.jpg"))
        number = message.get("message_id", "telegram")
        # Voice notes (OGG/Opus), round video notes, videos, music and documents: kept as sent, playable.
        for key, default in (("voice", f"voice-{number}.ogg"), ("video_note", f"video-note-{number}.mp4"),
                             ("video", f"video-{number}.mp4"), ("audio", f"audio-{number}.mp3"), ("document", None)):
            if isinstance(message.get(key), dict) and message[key].get("file_id"):
                files.append(self._file(message[key]["file_id"], message[key].get("file_name") or default))
        meta: dict[str, Any] = {"chat_id": message["chat"]["id"]}
        body = message.get("text") or message.get("caption") or ""
        place = message.get("venue", {}).get("location") if isinstance(message.get("venue"), dict) else None
        place = place or message.get("location")
        if isinstance(place, dict) and "latitude" in place and "longitude" in place:
            title = (message.get("venue") or {}).get("title", "") if isinstance(message.get("venue"), dict) else ""
            meta["location"] = {"latitude": place["latitude"], "longitude": place["longitude"], "title": title}
            body = body or f"Shared a location{': ' + title if title else ''} ({place['latitude']:.5f}, " \
                           f"{place['longitude']:.5f})"
        if isinstance(message.get("contact"), dict):
            person = message["contact"]
            who = " ".join(p for p in (person.get("first_name"), person.get("last_name")) if p)
            meta["contact"] = {"name": who, "phone": person.get("phone_number", "")}
            body = body or f"Shared a contact: {who}, {person.get('phone_number', '')}".strip(", ")
        if update.get("edited_message"):
            body = f"(edited) {body}"
        taken = self.services.messaging.intake.receive(IncomingText(
            channel_id=self.channel.id, kind="telegram", key=f"telegram:{self.bot_id}:{update['update_id']}",
            body=body, telegram_id=str(sender["id"]), name=name or sender.get("username", ""),
            files=[f for f in files if f], meta=meta))
        return taken.status

    def _tapped(self, update: dict) -> str:
        """A button of a reply's choices: the choice arrives as the customer's message."""
        query = update["callback_query"]
        sender = query.get("from") or {}
        chat = ((query.get("message") or {}).get("chat") or {})
        try:  # the spinner on the customer's button stops
            self._call("answerCallbackQuery", callback_query_id=str(query.get("id", "")))
        except (ChannelDown, Refused) as exc:  # the tap still arrives; only the spinner runs on
            log.info("%s: a button tap was not acknowledged: %s", self.channel.name, exc)
        if sender.get("is_bot") or not sender.get("id") or chat.get("type", "private") != "private":
            return "ignored"
        body = str(query.get("data") or "").strip()
        if not body:
            return "ignored"
        name = " ".join(p for p in (sender.get("first_name"), sender.get("last_name")) if p)
        taken = self.services.messaging.intake.receive(IncomingText(
            channel_id=self.channel.id, kind="telegram", key=f"telegram:{self.bot_id}:{update['update_id']}",
            body=body, telegram_id=str(sender["id"]), name=name or sender.get("username", ""),
            meta={"chat_id": chat.get("id", sender["id"])}))
        return taken.status

    def _file(self, file_id: str, filename: str | None) -> tuple[str, bytes] | None:
        info = self._call("getFile", file_id=file_id)
        path = (info or {}).get("file_path")
        if not path or (info.get("file_size") or 0) > MAX_FILE:
            return None
        try:
            answer = self.http.get(f"{self.api}/file/bot{self.token}/{path}")
        except httpx.HTTPError as exc:
            raise ChannelDown(f"Telegram {describe(exc)}") from None
        if answer.status_code != 200:
            raise ChannelDown(f"Telegram's file answered {answer.status_code}")
        return filename or path.rsplit("/", 1)[-1], answer.content

    # ---- sending ---------------------------------------------------------------------------------

    def reconcile(self, out: Any, since: Any) -> "Sent | str":
        """The Bot API cannot list what a bot sent: whether the reply went is not knowable."""
        return UNKNOWN

    def send(self, out: Any) -> Sent:
        sent_id = ""
        if out.text.strip():
            # Choices as buttons under the message; a tap sends the choice's words back (64 bytes
            # at most in callback_data, so a longer one sends its number).
            markup = {"reply_markup": {"inline_keyboard": [
                [{"text": c, "callback_data": c if len(c.encode()) <= 64 else str(n)}]
                for n, c in enumerate(out.choices, 1)]}} if out.choices else {}
            result = self._call("sendMessage", chat_id=out.to, text=out.text[:4096], **markup)
            sent_id = str((result or {}).get("message_id", ""))
        for f in out.files:
            method, field = ("sendPhoto", "photo") if f.content_type in ("image/jpeg", "image/png") else \
                ("sendDocument", "document")
            with open(f.path, "rb") as handle:
                kind = f.content_type or mimetypes.guess_type(f.filename)[0] or "application/octet-stream"
                result = self._call(method, files={field: (f.filename, handle, kind)}, chat_id=out.to)
            sent_id = sent_id or str((result or {}).get("message_id", ""))
        # Telegram has no delivery reports for bots: once it took the message, it is delivered.
        return Sent(f"telegram-{out.to}-{sent_id}" if sent_id else out.reference, delivered=True)
