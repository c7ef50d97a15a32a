"""A fake OpenAI-compatible chat server on loopback, written from the API's documentation: POST
/v1/chat/completions with "stream": true answers server-sent events, one `data: {chunk}` line a
piece (`choices[0].delta.content`), then `data: [DONE]`. It records what it was sent, and can be
told to fail, to stall, or to answer slowly."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeModel:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.reply = "Sorry about the wait! We have sent a replacement parcel with a new tracking number."
        self.status = 200
        self.stall_seconds = 0.0  # before the first piece
        self.piece_delay = 0.0
        self.key_wanted = ""
        model = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                model.requests.append({"path": self.path, "body": body,
                                       "authorization": self.headers.get("Authorization", "")})
                if model.key_wanted and self.headers.get("Authorization") != f"Bearer {model.key_wanted}":
                    return self._plain(401, {"error": {"message": "invalid api key"}})
                if self.path != "/v1/chat/completions":
                    return self._plain(404, {"error": {"message": "not found"}})
                if model.status != 200:
                    return self._plain(model.status, {"error": {"message": "the model is loading"}})
                time.sleep(model.stall_seconds)
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                words = model.reply.split(" ")
                try:
                    for i, word in enumerate(words):
                        piece = word + (" " if i < len(words) - 1 else "")
                        chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": body.get("model"),
                                 "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                        self._chunk(f"data: {json.dumps(chunk)}\n\n")
                        time.sleep(model.piece_delay)
                    self._chunk("data: [DONE]\n\n")
                    self._chunk("")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped listening (a cancel)

            def _chunk(self, text: str) -> None:
                data = text.encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def _plain(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> "FakeModel":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def sent_text(self) -> str:
        """Everything the last request carried in its messages."""
        return "\n".join(m["content"] for m in self.requests[-1]["body"]["messages"])
