"""schemathesis over the routes anyone on the internet reaches without an account (the
customer page, the chat, its script and poster, signed file links, the phone's and Twilio's
webhooks), which the API's own document leaves out: described here, with the real chat key,
link and channel names among the values, so the fuzzing reaches past the first check. Valid
and invalid requests alike: never a 5xx, never slow."""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage

pytestmark = pytest.mark.slow
EXAMPLES = 40


def string(*known: str, **more: object) -> dict:
    return {"type": "string", **({"examples": list(known)} if known else {}), **more}


def document(key: str, token: str) -> dict:
    path = lambda name, *known: {"name": name, "in": "path", "required": True,  # noqa: E731
                                 "schema": {"anyOf": [{"enum": list(known)}, string()]} if known else string()}
    query = lambda name, schema: {"name": name, "in": "query", "required": False, "schema": schema}  # noqa: E731
    chat = {"type": "object", "properties": {"visitor": string(), "body": string(), "email": string(),
                                             "name": string(), "user_id": string(), "user_hash": string()}}
    visitor = [query("visitor", {"anyOf": [{"enum": ["v" * 24]}, string()]}), query("user_id", string()),
               query("user_hash", string())]
    ok = {"default": {"description": "anything but a server error"}}
    return {"openapi": "3.0.3", "info": {"title": "Helpdesk, the customer's side", "version": "1"}, "paths": {
        "/c/{token}": {
            "get": {"parameters": [path("token", token)], "responses": ok},
            "post": {"parameters": [path("token", token)], "responses": ok, "requestBody": {"content": {
                "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {"body": string()}}},
                "multipart/form-data": {"schema": {"type": "object", "properties": {
                    "body": string(), "files": {"type": "string", "format": "binary"}}}}}}}},
        "/c/{token}/rating": {"post": {"parameters": [path("token", token)], "responses": ok, "requestBody": {
            "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
                "rating": string("1", "5", "0", "x"), "comment": string()}}}}}}},
        "/chat": {"get": {"parameters": [query("site", {"anyOf": [{"enum": [key]}, string()]})], "responses": ok}},
        "/chat/poster.png": {"get": {"parameters": [query("site", {"anyOf": [{"enum": [key]}, string()]})],
                                     "responses": ok}},
        "/widget/{key}/thread": {"get": {"parameters": [path("key", key), *visitor,
                                                        query("after", {"type": "integer"})], "responses": ok}},
        "/widget/{key}/messages": {"post": {"parameters": [path("key", key), *visitor], "responses": ok,
                                            "requestBody": {"content": {"application/json": {"schema": chat}}}}},
        "/files/{attachment_id}/{name}": {"get": {"parameters": [
            path("attachment_id"), path("name"), query("e", string()), query("v", string("file", "thumb")),
            query("s", string())], "responses": ok}},
        "/api/v1/channels/sms-gateway/{name}": {"post": {"parameters": [path("name", "Phone")], "responses": ok,
                                                         "requestBody": {"content": {"application/json": {
                                                             "schema": {"type": "object"}}}}}},
        "/api/v1/channels/twilio/{name}": {"post": {"parameters": [path("name", "SMS")], "responses": ok,
                                                    "requestBody": {"content": {"application/x-www-form-urlencoded": {
                                                        "schema": {"type": "object", "properties": {
                                                            "From": string(), "Body": string(),
                                                            "MessageSid": string()}}}}}}},
        "/robots.txt": {"get": {"responses": ok}},
        "/widget.js": {"get": {"responses": ok}},
    }}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_customers_side_survives_anything(app, services, mode):
    chat = services.messaging.channels.add("website", "Site", {"origins": ["https://larsen.example"]},
                                           Actor.system())
    services.messaging.channels.add("sms-gateway", "Phone", {"url": "http://sms:pw@192.168.1.50:8080",
                                                             "signing_key": "k"}, Actor.system())
    services.messaging.channels.add("twilio", "SMS", {"account_sid": "AC" + "0" * 32, "auth_token": "t",
                                                      "from": "+15550100999"}, Actor.system())
    made = services.conversations.receive(IncomingMessage(body="Hello", email="nora@example.com"))
    token = services.conversations.get(made.conversation_id).conversation.public_token
    schema = schemathesis.openapi.from_dict(document(chat.config["key"], token))
    schema.app = app.asgi
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if mode == GenerationMode.NEGATIVE and not (operation.body or operation.path_parameters or operation.query):
            continue

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):  # type: ignore[no-untyped-def]
            started = time.monotonic()
            response = case.call(headers={"Origin": "https://larsen.example", **(case.headers or {})})
            label = f"{case.method} {case.formatted_path}"
            assert response.status_code < 500, f"{label}: {response.status_code} {response.text[:300]}"
            assert time.monotonic() - started < 5, f"{label} took too long"

        try:
            check()
            tried += 1
        except Unsatisfiable:  # nothing in this request can be made invalid (any string is a string)
            continue
    assert tried >= 8
