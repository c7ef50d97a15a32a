"""Fakes of the far ends, on loopback, written from their public API documentation:

- `FakePhone`: SMS Gateway for Android's local server (capcom6/android-sms-gateway, docs
  "Local Server" + "Webhooks"): Basic auth; POST /message {textMessage: {text}, phoneNumbers,
  id} → 202 {id, state, recipients}; GET /message/{id}; GET/POST /webhooks {id, url, event};
  webhooks POSTed as {deviceId, event, id, payload, webhookId}, signed with X-Signature =
  hex HMAC-SHA256(key, body + X-Timestamp) when a signing key is set.
- `FakeTelegram`: the Bot API (core.telegram.org/bots/api): /bot<token>/<method> answering
  {"ok", "result"} or {"ok": false, "error_code", "description"}; getUpdates with offset and
  timeout (long polling), sendMessage, sendPhoto, sendDocument, getFile and /file/bot<token>/<path>.
- `FakeTwilio`: the REST API (POST /2010-04-01/Accounts/{sid}/Messages.json, Basic auth,
  201 {sid, status}); and a sender of Twilio's webhooks signed as Twilio documents
  (base64 HMAC-SHA1 of the URL followed by the sorted POST fields, keyed with the auth token).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import uuid
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx


class _Server:
    """A ThreadingHTTPServer on loopback whose port survives `off()`/`on()` (a phone switched off)."""

    def __init__(self) -> None:
        self.port = 0
        self.httpd: ThreadingHTTPServer | None = None
        self.requests: list[tuple[str, str]] = []

    def handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def do_GET(self) -> None:
                fake.requests.append(("GET", self.path))
                fake.route(self, "GET", b"")

            def do_POST(self) -> None:
                body = self._body()
                fake.requests.append(("POST", self.path))
                fake.route(self, "POST", body)

        return Handler

    def route(self, request: BaseHTTPRequestHandler, method: str, body: bytes) -> None:
        raise NotImplementedError

    @staticmethod
    def answer(request: BaseHTTPRequestHandler, status: int, data: Any, content_type: str = "application/json") -> None:
        raw = data if isinstance(data, bytes) else json.dumps(data).encode()
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(raw)))
        request.end_headers()
        request.wfile.write(raw)

    def on(self) -> "_Server":
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler())
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def off(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class FakePhone(_Server):
    def __init__(self, password: str = "phone-pass", signing_key: str | None = None,
                 now: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.password, self.signing_key, self.now = password, signing_key, now
        self.messages: dict[str, dict] = {}  # our id → what the phone holds
        self.sent_texts: list[dict] = []  # every text the phone actually sent over the network
        self.webhooks: dict[str, dict] = {}
        self.device_id = "phone-" + uuid.uuid4().hex[:8]

    def url_with_password(self) -> str:
        return f"http://sms:{self.password}@127.0.0.1:{self.port}"

    def route(self, request: BaseHTTPRequestHandler, method: str, body: bytes) -> None:
        expected = "Basic " + base64.b64encode(f"sms:{self.password}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return self.answer(request, 401, {"message": "Unauthorized"})
        path = request.path
        if method == "POST" and path in ("/message", "/messages"):
            data = json.loads(body)
            message_id = data.get("id") or uuid.uuid4().hex
            if message_id in self.messages:
                return self.answer(request, 409, {"message": "message with this id already exists"})
            record = {"id": message_id, "state": "Pending", "text": data["textMessage"]["text"],
                      "recipients": [{"phoneNumber": p, "state": "Pending"} for p in data["phoneNumbers"]]}
            self.messages[message_id] = record
            self.sent_texts.append(record)
            return self.answer(request, 202, {"id": message_id, "state": "Pending",
                                              "recipients": record["recipients"]})
        if method == "GET" and path.startswith("/message/"):
            record = self.messages.get(path.removeprefix("/message/"))
            if record is None:
                return self.answer(request, 404, {"message": "not found"})
            return self.answer(request, 200, {k: record[k] for k in ("id", "state", "recipients")})
        if method == "GET" and path == "/webhooks":
            return self.answer(request, 200, list(self.webhooks.values()))
        if method == "POST" and path == "/webhooks":
            data = json.loads(body)
            if not str(data.get("url", "")).startswith(("http://127.0.0.1", "https://")):
                return self.answer(request, 400, {"message": "HTTPS is required for non-loopback addresses"})
            self.webhooks[data["id"]] = {"id": data["id"], "url": data["url"], "event": data["event"]}
            return self.answer(request, 201, self.webhooks[data["id"]])
        return self.answer(request, 404, {"message": "not found"})

    # ---- what the phone does on its own ---------------------------------------------------------

    def webhook(self, event: str, payload: dict, envelope_id: str | None = None,
                key: str | None = None, timestamp: int | None = None) -> httpx.Response:
        """POST one event to the receiver registered for it, signed as the app signs."""
        hook = next(h for h in self.webhooks.values() if h["event"] == event)
        body = json.dumps({"deviceId": self.device_id, "event": event, "id": envelope_id or uuid.uuid4().hex,
                           "payload": payload, "webhookId": hook["id"]}).encode()
        headers = {"Content-Type": "application/json"}
        key = key or self.signing_key
        if key:
            stamp = str(timestamp if timestamp is not None else int(self.now()))
            headers["X-Timestamp"] = stamp
            headers["X-Signature"] = hmac.new(key.encode(), body + stamp.encode(), hashlib.sha256).hexdigest()
        return httpx.post(hook["url"], content=body, headers=headers, timeout=10)

    def text_in(self, phone: str, message: str, envelope_id: str | None = None) -> httpx.Response:
        return self.webhook("sms:received", {"messageId": uuid.uuid4().hex[:16], "message": message,
                                             "phoneNumber": phone, "simNumber": 1,
                                             "receivedAt": "2026-01-05T09:00:00.000+00:00"}, envelope_id)

    def progress(self, message_id: str, state: str, tell: bool = True) -> None:
        """The network moved a text on (Processed, Sent, Delivered, Failed); the app tells by webhook."""
        record = self.messages[message_id]
        record["state"] = state
        for r in record["recipients"]:
            r["state"] = state
        if tell and f"sms:{state.lower()}" in {h["event"] for h in self.webhooks.values()}:
            self.webhook(f"sms:{state.lower()}", {"messageId": message_id,
                                                  "phoneNumber": record["recipients"][0]["phoneNumber"]})


class FakeTelegram(_Server):
    def __init__(self, token: str = "123456:TEST-token_abc") -> None:
        super().__init__()
        self.token = token
        self.updates: list[dict] = []
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id → (path, bytes)
        self.sent: list[dict] = []
        self.get_updates_offsets: list[int] = []
        self.answered: list[str] = []  # callback queries answered (a tapped button's spinner stops)
        self._ids = itertools.count(1000)
        self._news = threading.Condition()

    def route(self, request: BaseHTTPRequestHandler, method: str, body: bytes) -> None:
        path = urlsplit(request.path).path
        if path.startswith(f"/file/bot{self.token}/"):
            found = next((data for p, data in self.files.values() if path.endswith("/" + p)), None)
            return self.answer(request, 200 if found else 404, found or b"", "application/octet-stream")
        match = re.fullmatch(r"/bot([^/]+)/(\w+)", path)
        if not match or match.group(1) != self.token:
            return self.answer(request, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        params = self._params(request, body)
        method_name = match.group(2)
        if method_name == "getMe":
            return self._ok(request, {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "Shop"})
        if method_name == "getUpdates":
            offset = int(params.get("offset") or 0)
            self.get_updates_offsets.append(offset)
            deadline = time.monotonic() + min(float(params.get("timeout") or 0), 0.5)
            with self._news:
                while True:
                    news = [u for u in self.updates if u["update_id"] >= offset]
                    left = deadline - time.monotonic()
                    if news or left <= 0:
                        break
                    self._news.wait(left)
            return self._ok(request, news)
        if method_name == "getFile":
            file_id = params.get("file_id")
            if file_id not in self.files:
                return self.answer(request, 400, {"ok": False, "error_code": 400, "description": "file not found"})
            p, data = self.files[file_id]
            return self._ok(request, {"file_id": file_id, "file_size": len(data), "file_path": p})
        if method_name == "answerCallbackQuery":
            self.answered.append(params.get("callback_query_id"))
            return self._ok(request, True)
        if method_name in ("sendMessage", "sendPhoto", "sendDocument"):
            message_id = next(self._ids)
            self.sent.append({"method": method_name, "message_id": message_id, **params})
            return self._ok(request, {"message_id": message_id, "chat": {"id": params.get("chat_id")}})
        return self.answer(request, 404, {"ok": False, "error_code": 404, "description": "Not Found"})

    def _params(self, request: BaseHTTPRequestHandler, body: bytes) -> dict:
        kind = request.headers.get("Content-Type", "")
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}
        if kind.startswith("application/json"):
            return {**query, **json.loads(body or b"{}")}
        if kind.startswith("multipart/form-data"):
            from email.parser import BytesParser
            from email.policy import HTTP

            message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + kind.encode() + b"\r\n\r\n" + body)
            out: dict[str, Any] = dict(query)
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                filename = part.get_filename()
                data = part.get_payload(decode=True)
                out[name] = {"filename": filename, "bytes": data} if filename else data.decode()
            return out
        return {**query, **{k: v[0] for k, v in parse_qs(body.decode()).items()}}

    def _ok(self, request: BaseHTTPRequestHandler, result: Any) -> None:
        self.answer(request, 200, {"ok": True, "result": result})

    def user_sends_file(self, user_id: int, first_name: str, kind: str, data: bytes, **fields: Any) -> int:
        """A voice note (kind "voice": OGG/Opus, with `duration`), a "video_note", "video" or "audio"."""
        file_id = f"{kind}{len(self.files) + 1}"
        self.files[file_id] = (f"{kind}s/file_{len(self.files)}.{'oga' if kind == 'voice' else 'mp4'}", data)
        return self.user_writes(user_id, first_name, extra={kind: {"file_id": file_id, "file_unique_id": file_id,
                                                                   "file_size": len(data), **fields}})

    def user_taps(self, user_id: int, first_name: str, data: str, message_id: int) -> int:
        """The user taps a button of a bot message's inline keyboard (a callback query)."""
        with self._news:
            update_id = 500000 + len(self.updates)
            chat = {"id": user_id, "type": "private", "first_name": first_name}
            self.updates.append({"update_id": update_id, "callback_query": {
                "id": f"cq{update_id}", "from": {"id": user_id, "is_bot": False, "first_name": first_name},
                "message": {"message_id": message_id, "chat": chat, "date": int(time.time())},
                "chat_instance": "42", "data": data}})
            self._news.notify_all()
            return update_id

    def user_writes(self, user_id: int, first_name: str, text: str = "", photo: bytes | None = None,
                    caption: str = "", extra: dict | None = None) -> int:
        """A Telegram user writes to the bot in a private chat; returns the update id."""
        with self._news:
            update_id = 500000 + len(self.updates)
            message: dict[str, Any] = {"message_id": update_id - 499000, "date": int(time.time()),
                                       "from": {"id": user_id, "is_bot": False, "first_name": first_name},
                                       "chat": {"id": user_id, "type": "private", "first_name": first_name}}
            if text:
                message["text"] = text
            if photo is not None:
                file_id = f"photo{update_id}"
                self.files[file_id] = (f"photos/file_{update_id}.jpg", photo)
                message["photo"] = [{"file_id": file_id + "s", "file_unique_id": "s", "width": 90, "height": 90,
                                     "file_size": 100},
                                    {"file_id": file_id, "file_unique_id": "b", "width": 800, "height": 600,
                                     "file_size": len(photo)}]
                self.files[file_id + "s"] = (f"photos/small_{update_id}.jpg", b"small")
                if caption:
                    message["caption"] = caption
            message.update(extra or {})
            self.updates.append({"update_id": update_id, "message": message})
            self._news.notify_all()
            return update_id


class FakeTwilio(_Server):
    def __init__(self, account_sid: str = "AC" + "0" * 32, auth_token: str = "twilio-auth-token",
                 now: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.now = now
        self.sid, self.auth_token = account_sid, auth_token
        self.messages: list[dict] = []
        self.media: dict[str, bytes] = {}
        self.refuse_next: tuple[int, dict] | None = None

    def route(self, request: BaseHTTPRequestHandler, method: str, body: bytes) -> None:
        expected = "Basic " + base64.b64encode(f"{self.sid}:{self.auth_token}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return self.answer(request, 401, {"code": 20003, "message": "Authenticate", "status": 401})
        path = urlsplit(request.path).path
        if method == "GET" and path.startswith("/media/"):
            data = self.media.get(path.removeprefix("/media/"))
            return self.answer(request, 200 if data else 404, data or b"", "image/jpeg")
        if method == "GET" and path == f"/2010-04-01/Accounts/{self.sid}.json":
            return self.answer(request, 200, {"sid": self.sid, "status": "active"})
        if method == "POST" and path == f"/2010-04-01/Accounts/{self.sid}/Messages.json":
            if self.refuse_next:
                status, data = self.refuse_next
                self.refuse_next = None
                return self.answer(request, status, data)
            fields = parse_qs(body.decode(), keep_blank_values=True)
            sid = "SM" + uuid.uuid4().hex
            self.messages.append({"sid": sid, "date_created": formatdate(self.now(), usegmt=True),
                                  **{k: v if len(v) > 1 or k == "MediaUrl" else v[0] for k, v in fields.items()}})
            return self.answer(request, 201, {"sid": sid, "status": "queued", "to": fields["To"][0]})
        if method == "GET" and path == f"/2010-04-01/Accounts/{self.sid}/Messages.json":
            # The Message list resource: filtered by To and From, newest first (as Twilio pages it).
            query = {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}
            found = [m for m in reversed(self.messages)
                     if m["To"] == query.get("To", m["To"]) and m["From"] == query.get("From", m["From"])]
            return self.answer(request, 200, {"messages": [
                {"sid": m["sid"], "to": m["To"], "from": m["From"], "body": m["Body"], "status": "sent",
                 "date_created": m["date_created"]} for m in found[:int(query.get("PageSize", 50))]]})
        return self.answer(request, 404, {"code": 20404, "message": "not found"})

    @staticmethod
    def sign(auth_token: str, url: str, fields: dict[str, str]) -> str:
        """As Twilio's docs describe it: the URL, then each field's name and value sorted by name."""
        data = url + "".join(name + fields[name] for name in sorted(fields))
        return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()

    def call(self, helpdesk_url: str, public_url: str, fields: dict[str, str],
             auth_token: str | None = None) -> httpx.Response:
        """Twilio POSTs its webhook to Helpdesk (at `helpdesk_url`, configured in the console as `public_url`)."""
        signature = self.sign(auth_token or self.auth_token, public_url, fields)
        return httpx.post(helpdesk_url, content=urlencode(fields).encode(), timeout=10,
                          headers={"Content-Type": "application/x-www-form-urlencoded",
                                   "X-Twilio-Signature": signature})
