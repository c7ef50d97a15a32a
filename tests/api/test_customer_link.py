"""The customer's own page, /c/<token>."""

from tests.conftest import post_message


def token_of(created):
    return created["conversation_url"].rsplit("/", 1)[1]


def test_the_page_shows_the_public_thread_but_never_notes(client, auth, services, ann):
    created = post_message(client, auth, subject="Bike repair").json()
    services.conversations.add_note(created["conversation_id"], ann, "SECRET internal note")
    services.conversations.reply(created["conversation_id"], ann, "Bring it in on Thursday")
    page = client.get(f"/c/{token_of(created)}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Bike repair" in page.text
    assert "My order has not arrived" in page.text and "Bring it in on Thursday" in page.text
    assert "SECRET" not in page.text
    assert "took this conversation" not in page.text  # system events are for agents
    assert 'name="viewport"' in page.text  # readable on a phone


def test_markup_in_messages_is_shown_as_text(client, auth):
    created = post_message(client, auth, body='<script>alert("x")</script><img src=x onerror=alert(1)>',
                           subject="<b>bold</b>").json()
    page = client.get(f"/c/{token_of(created)}")
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    assert "&lt;b&gt;bold&lt;/b&gt;" in page.text
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none' forbids scripts
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"


def test_the_customer_replies_with_a_plain_form(client, auth, services, ann):
    created = post_message(client, auth).json()
    services.conversations.reply(created["conversation_id"], ann, "Which address?", then="resolved")
    response = client.post(f"/c/{token_of(created)}", data={"body": "12 High Street <3"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/c/{token_of(created)}#m")
    detail = services.conversations.get(created["conversation_id"])
    assert detail.conversation.status == "open"  # a resolved conversation reopens
    assert detail.messages[-1].body == "12 High Street <3" and detail.messages[-1].channel == "web"
    page = client.get(response.headers["location"])
    assert "12 High Street &lt;3" in page.text


def test_an_empty_reply_is_refused_with_words_and_adds_nothing(client, auth, services):
    created = post_message(client, auth).json()
    response = client.post(f"/c/{token_of(created)}", data={"body": "   "})
    assert response.status_code == 422
    assert "Please write a message" in response.text
    assert len(services.conversations.get(created["conversation_id"]).messages) == 1


def test_unknown_tokens_are_404(client, auth):
    post_message(client, auth)
    assert client.get("/c/not-a-real-token").status_code == 404
    assert client.post("/c/not-a-real-token", data={"body": "hi"}).status_code == 404
    assert client.get("/c/" + "x" * 500).status_code == 404


def test_after_resolution_the_customer_rates_once_per_resolution(client, auth, services, ann, clock):
    created = post_message(client, auth).json()
    token = token_of(created)
    assert "How did we do?" not in client.get(f"/c/{token}").text  # not before it is resolved
    services.conversations.reply(created["conversation_id"], ann, "Sorted!", then="resolved")
    assert "How did we do?" in client.get(f"/c/{token}").text
    response = client.post(f"/c/{token}/rating", data={"rating": "4", "comment": "Quick <b>help</b>"},
                           follow_redirects=False)
    assert response.status_code == 303
    page = client.get(f"/c/{token}").text
    assert "Thank you for your rating" in page and "How did we do?" not in page
    again = client.post(f"/c/{token}/rating", data={"rating": "1"})
    assert again.status_code == 409
    events = [m.body for m in services.conversations.get(created["conversation_id"]).messages if m.kind == "event"]
    assert "Customer rated the help 4/5: Quick <b>help</b>" in events
    # Reopened and resolved again (days later): a new resolution may be rated again.
    clock.advance(days=2)
    client.post(f"/c/{token}", data={"body": "One more thing"})
    services.conversations.reply(created["conversation_id"], ann, "Done again", then="resolved")
    assert client.post(f"/c/{token}/rating", data={"rating": "5"}, follow_redirects=False).status_code == 303


def test_a_rating_outside_one_to_five_is_refused(client, auth, services, ann):
    created = post_message(client, auth).json()
    services.conversations.reply(created["conversation_id"], ann, "Done", then="resolved")
    bad = client.post(f"/c/{token_of(created)}/rating", data={"rating": "9"})
    assert bad.status_code == 422 and "Please choose a rating from 1 to 5." in bad.text


def test_the_rating_form_posts_to_this_conversation(client, auth, services, ann):
    created = post_message(client, auth).json()
    services.conversations.reply(created["conversation_id"], ann, "Done", then="resolved")
    page = client.get(f"/c/{token_of(created)}").text
    assert f'action="/c/{token_of(created)}/rating"' in page


def test_an_empty_reply_to_an_unknown_link_is_the_same_404_page(client):
    response = client.post("/c/no-such-token", data={"body": ""})
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
