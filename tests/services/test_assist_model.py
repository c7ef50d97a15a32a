"""The language-model path against a fake OpenAI-compatible server on loopback: nothing is sent
while assist is off; drafts stream; errors, a stalled model and a cancel leave the agent where
they were; masking is checked on what the server received; every use is logged."""

import threading

import pytest

from helpdesk.models import RESOLVED
from helpdesk.services.assist import model as model_client
from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.errors import Conflict, Forbidden, Unavailable, ValidationFailed
from tests.fake_llm import FakeModel


@pytest.fixture
def llm():
    with FakeModel() as fake:
        yield fake


@pytest.fixture
def late_parcel(services, ann):
    past = services.conversations.receive(IncomingMessage(body="My parcel never arrived, tracking shows nothing.",
                                                          email="old@example.com")).conversation_id
    services.conversations.reply(past, ann, "The courier lost it: a replacement is on its way.", then=RESOLVED)
    return services.conversations.receive(IncomingMessage(
        body="My parcel has not arrived. Call me on +45 12 34 56 78 or write to kim@example.com; I paid with "
             "4111 1111 1111 1111.", email="kim@example.com", name="Kim Berg")).conversation_id


def configure(services, ann, llm, **kw):
    return services.assist.configure(ann, enabled=True, base_url=llm.url, model="llama3.1:8b", **kw)


def test_off_by_default_nothing_is_sent(services, ann, llm, late_parcel):
    assert services.assist.settings_now().enabled is False
    with pytest.raises(Conflict, match="assist is off"):
        services.assist.draft(late_parcel, ann)
    assert llm.requests == []
    assert services.assist.handover_note(late_parcel, "transferred") is None
    assert services.assist.uses() == []


def test_a_draft_streams_uses_the_past_answer_and_is_logged(services, ann, llm, late_parcel):
    configure(services, ann, llm)
    pieces = []
    draft = services.assist.draft(late_parcel, ann, on_piece=pieces.append)
    assert draft.text == llm.reply and len(pieces) > 5  # it came piece by piece
    sent = llm.sent_text()
    assert "The courier lost it: a replacement is on its way." in sent  # the similar solved conversation
    assert "My parcel has not arrived" in sent and llm.requests[-1]["body"]["stream"] is True
    [use] = services.assist.uses()
    assert (use.kind, use.agent_id, use.conversation_id, use.outcome) == ("draft", ann.id, late_parcel, "ok")
    assert use.chars_sent == sum(len(m["content"]) for m in llm.requests[-1]["body"]["messages"])
    assert use.chars_received == len(llm.reply)
    # Nothing was posted to the customer: a draft is only ever a suggestion.
    assert [m.kind for m in services.conversations.get(late_parcel).messages if m.direction == "out"] == []


def test_what_leaves_the_machine_is_masked(services, ann, llm, late_parcel):
    configure(services, ann, llm)
    services.assist.draft(late_parcel, ann)
    sent = llm.sent_text()
    assert "kim@example.com" not in sent and "12 34 56 78" not in sent and "4111" not in sent
    assert "[email]" in sent and "[phone]" in sent and "[card number]" in sent
    configure(services, ann, llm, mask=False)  # the owner's choice
    services.assist.draft(late_parcel, ann)
    assert "kim@example.com" in llm.sent_text()


def test_internal_notes_stay_home_unless_allowed(services, ann, llm, late_parcel):
    services.conversations.add_note(late_parcel, ann, "Customer is a friend of the owner")
    configure(services, ann, llm)
    services.assist.summarise(late_parcel, ann)
    assert "friend of the owner" not in llm.sent_text()
    configure(services, ann, llm, notes=True)
    services.assist.summarise(late_parcel, ann)
    assert "friend of the owner" in llm.sent_text()


def test_a_model_that_is_down_slow_or_refusing_is_said_in_words(services, ann, llm, late_parcel, monkeypatch):
    configure(services, ann, llm)
    llm.status = 503
    with pytest.raises(Unavailable, match="answered 503"):
        services.assist.draft(late_parcel, ann)
    llm.status = 200
    llm.key_wanted = "sk-right"
    with pytest.raises(Unavailable, match=r"answered 401 \(check the key\)"):
        services.assist.draft(late_parcel, ann)
    configure(services, ann, llm, key="sk-right")
    assert services.assist.draft(late_parcel, ann).text == llm.reply
    assert llm.requests[-1]["authorization"] == "Bearer sk-right"
    monkeypatch.setattr(model_client, "QUIET_SECONDS", 0.3)
    llm.stall_seconds = 1.0
    with pytest.raises(Unavailable, match="took too long"):
        services.assist.draft(late_parcel, ann)
    services.assist.configure(ann, enabled=True, base_url="http://127.0.0.1:9/v1", model="x")
    with pytest.raises(Unavailable, match="cannot be reached"):
        services.assist.draft(late_parcel, ann)
    outcomes = [u.outcome for u in reversed(services.assist.uses())]
    assert outcomes[0].endswith("answered 503") and outcomes[2] == "ok" and "took too long" in outcomes[3]


def test_a_cancelled_draft_stops_the_stream(services, ann, llm, late_parcel):
    configure(services, ann, llm)
    llm.piece_delay = 0.05
    stop, pieces = threading.Event(), []

    def on_piece(piece):
        pieces.append(piece)
        if len(pieces) == 3:
            stop.set()

    with pytest.raises(model_client.Cancelled):
        services.assist.draft(late_parcel, ann, on_piece=on_piece, stop=stop)
    assert len(pieces) == 3
    assert services.assist.uses()[0].outcome == "cancelled"


def test_a_transfer_writes_a_hand_over_summary_note(services, ann, bob, llm, late_parcel):
    configure(services, ann, llm)
    llm.reply = "Kim's parcel is lost; offer a replacement. Nothing promised yet."
    note_id = services.assist.handover_note(late_parcel, "transferred from Ann Agent to Bob Agent")
    note = next(m for m in services.conversations.get(late_parcel).messages if m.id == note_id)
    assert note.kind == "note" and note.body.startswith("Hand-over summary (transferred from Ann Agent to Bob Agent):")
    assert "offer a replacement" in note.body
    configure(services, ann, llm, handover=False)
    assert services.assist.handover_note(late_parcel, "again") is None


def test_only_admins_set_the_model_and_bad_settings_are_named(services, bob, ann, llm):
    with pytest.raises(Forbidden):
        services.assist.configure(bob, enabled=True, base_url=llm.url, model="m")
    with pytest.raises(ValidationFailed) as refused:
        services.assist.configure(ann, enabled=True, base_url="ftp://x", model="")
    assert set(refused.value.fields) == {"base_url", "model"}
    configure(services, ann, llm, key="sk-secret")
    shown = services.assist.settings_now()
    assert shown.key_set and "sk-secret" not in repr(shown)
    assert services.assist.test(ann).startswith("llama3.1:8b answered in")


def test_a_read_only_token_may_not_ask(services, llm, ann, late_parcel):
    configure(services, ann, llm)
    reader = Actor("integration", 9, "Website", frozenset({"read"}))
    with pytest.raises(Forbidden):
        services.assist.draft(late_parcel, reader)


def test_bots_get_the_same_help_over_the_api(services, client, ann, llm, late_parcel):
    bot = services.tokens.create("Order bot", actor=Actor.system(), scopes=["read", "reply"]).plaintext
    reader = services.tokens.create("Website", actor=Actor.system()).plaintext
    headers = {"Authorization": f"Bearer {bot}"}
    found = client.get(f"/api/v1/conversations/{late_parcel}/similar", headers=headers)
    assert found.status_code == 200
    [past] = found.json()["similar"]
    assert past["reply"] == "The courier lost it: a replacement is on its way." and "parcel" in past["shared_words"]
    assert client.get(f"/api/v1/conversations/{late_parcel}/similar",
                      headers={"Authorization": f"Bearer {reader}"}).status_code == 403
    assert client.get("/api/v1/conversations/999/similar", headers=headers).status_code == 404
    off = client.post(f"/api/v1/conversations/{late_parcel}/draft", headers=headers)
    assert off.status_code == 409 and "assist is off" in off.json()["error"]["message"]
    configure(services, ann, llm)
    made = client.post(f"/api/v1/conversations/{late_parcel}/draft", headers=headers)
    assert made.status_code == 200 and made.json()["draft"] == llm.reply and made.json()["model"] == "llama3.1:8b"
    assert services.assist.uses()[0].token_id is not None
    llm.status = 500
    down = client.post(f"/api/v1/conversations/{late_parcel}/draft", headers=headers)
    assert down.status_code == 503 and "answered 500" in down.json()["error"]["message"]


def test_the_worker_writes_the_summary_when_a_conversation_changes_hands(app, services, ann, bob, llm, late_parcel):
    import time

    configure(services, ann, llm)
    llm.reply = "Kim's parcel is lost; a replacement is the fix."
    services.conversations.assign(late_parcel, ann.id, ann)  # taken: not a hand-over
    app.start_jobs()
    services.conversations.assign(late_parcel, bob.id, ann)  # Ann gives it to Bob
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        notes = [m.body for m in services.conversations.get(late_parcel).messages if m.kind == "note"]
        if notes:
            break
        time.sleep(0.05)
    assert notes == ["Hand-over summary (transferred from Ann Agent to Bob Agent):\n"
                     "Kim's parcel is lost; a replacement is the fix."]
    assert [u.kind for u in services.assist.uses()] == ["handover"]


def test_a_move_to_another_teams_queue_gets_a_summary_too(app, services, ann, bob, llm, late_parcel):
    import time

    configure(services, ann, llm)
    llm.reply = "Kim's parcel is lost; the workshop should check the frame."
    workshop = services.teams.create("Workshop", [], ann)
    services.conversations.assign(late_parcel, bob.id, ann)
    app.start_jobs()
    services.conversations.set_team(late_parcel, workshop.id, ann)  # from Bob to the Workshop's queue
    deadline = time.monotonic() + 10
    while not (notes := [m.body for m in services.conversations.get(late_parcel).messages if m.kind == "note"]):
        assert time.monotonic() < deadline, "no summary"
        time.sleep(0.05)
    assert notes == ["Hand-over summary (moved from Bob Agent to Workshop):\n"
                     "Kim's parcel is lost; the workshop should check the frame."]
