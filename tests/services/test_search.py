from helpdesk.services.conversations import IncomingMessage


def receive(services, body, email="s@example.com", **kw):
    return services.conversations.receive(IncomingMessage(body=body, email=email, **kw))


def test_search_finds_message_text_with_highlighted_snippets(services):
    hit_id = receive(services, "The derailleur on my gravel bike is bent", email="g@example.com",
                     name="Gina Gravel").conversation_id
    receive(services, "Question about helmets", email="h@example.com")
    hits = services.search.search("derailleur")
    assert [(h.kind, h.conversation_id) for h in hits] == [("message", hit_id)]
    assert ("derailleur", True) in hits[0].segments
    assert hits[0].snippet.startswith("The derailleur")
    assert hits[0].customer_name == "Gina Gravel"
    assert hits[0].message_id is not None  # opens the thread at the hit


def test_search_matches_while_typing_and_ignores_accents_and_case(services):
    receive(services, "Café racer handlebar", email="c@example.com")
    assert services.search.search("CAFE")[0].kind == "message"
    assert services.search.search("handleb")[0].kind == "message"  # prefix of the last word


def test_search_covers_subjects_customer_names_and_identifiers(services):
    result = receive(services, "hello", email="zoe.quartz@example.com", name="Zoe Quartz",
                     subject="Frame warranty claim", phone="+1 555 0177")
    assert {h.kind for h in services.search.search("warranty")} == {"subject"}
    assert services.search.search("quartz")[0].kind == "customer"
    by_email = services.search.search("zoe.quartz@example.com")
    assert by_email[0].kind == "customer" and by_email[0].conversation_id == result.conversation_id
    assert services.search.search("+1 555-0177")[0].customer_id == result.customer_id


def test_notes_are_searchable_system_events_are_not(services, ann):
    result = receive(services, "hello")
    services.conversations.add_note(result.conversation_id, ann, "courier reference XK42")
    services.conversations.assign(result.conversation_id, ann.id, ann)
    assert [h.kind for h in services.search.search("XK42")] == ["note"]
    assert services.search.search("took") == []


def test_ranking_prefers_the_better_match(services):
    weak = receive(services, "brakes " + "filler words here " * 30, email="w@example.com").conversation_id
    strong = receive(services, "brakes brakes brakes squeal", email="s2@example.com").conversation_id
    hits = [h.conversation_id for h in services.search.search("brakes") if h.kind == "message"]
    assert hits[:2] == [strong, weak]


def test_search_input_is_never_fts_syntax(services):
    receive(services, "a normal message")
    for query in ['"', "AND OR NOT", "NEAR(", "*", "col:value", "'; DROP TABLE message; --", "😀"]:
        services.search.search(query)  # no error
    assert services.search.search("") == []


def test_the_newest_matches_are_found_whether_a_word_is_common_medium_or_rare(services, monkeypatch):
    """PostgreSQL picks its way by how common the words are (db/fts.py); made small here so
    every way is taken. Whatever the way, the candidates are the newest matching messages."""
    from helpdesk.db import fts

    monkeypatch.setattr(fts, "CANDIDATES", 8)
    monkeypatch.setattr(fts, "PROBE", 10)
    monkeypatch.setattr(fts, "INDEX_BELOW", 13)
    bodies = {}
    for i in range(120):
        words = ["common"] + (["medium"] if i % 6 == 0 else []) + (["rare"] if i in (3, 50) else [])
        bodies[receive(services, " ".join(words) + f" note {i}", email=f"c{i % 9}@example.com").message_id] = words
    with services.db.read() as session:
        for word in ("common", "medium", "rare"):
            newest = sorted((m for m, words in bodies.items() if word in words), reverse=True)[:8]
            hits = fts.search_messages(session, word, limit=8)
            assert sorted((h.id for h in hits), reverse=True) == newest, word
