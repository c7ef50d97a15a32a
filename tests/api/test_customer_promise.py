"""The customer page keeps its promise: who answers, whether the team is in, when the answer
is due (from the response-time target, in the shop's time zone and named), whether the team
has seen the last message. Time moves on an injected clock."""

from __future__ import annotations

import re
from datetime import timedelta

from helpdesk.services.calendar import BusinessCalendar
from helpdesk.services.conversations import IncomingMessage


def page(client, result):
    text = client.get(f"/c/{result.public_token}").text
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))


def test_the_page_says_who_answers_whether_they_are_in_and_by_when(services, client, ann, clock):
    # Monday 2 March 2026, 09:00 UTC = 10:00 in Berlin (CET): the shop is open 9 to 17.
    services.sla.set_calendar(BusinessCalendar.office("Europe/Berlin"), ann)
    services.sla.set_policy("normal", 120, 240, 2400, True, ann)
    services.promise.set_team_name("Larsen  Bikes ", ann)
    result = services.conversations.receive(IncomingMessage(body="Is the Cube ready?", email="lena@example.de"))
    text = page(client, result)
    assert "Larsen Bikes · In now, until 17:00 today (CET)" in text
    assert "We usually reply within 2 business hours — by 12:00 today (CET)." in text
    assert "2 Mar 2026, 10:00 CET" in text and "UTC" not in text
    assert "Seen by" not in text

    services.conversations.mark_read(result.conversation_id, ann.agent_id, True)
    assert "Seen by Larsen Bikes" in page(client, result)
    services.conversations.reply(result.conversation_id, ann, "Yes, come by after 3.")
    text = page(client, result)
    assert "We answered. Write again any time" in text and "We usually reply" not in text

    # Friday 16:30 in Berlin: the answer is due in business time, on Monday.
    clock.advance(timedelta(days=4, hours=6, minutes=30))
    again = services.conversations.receive(IncomingMessage(body="One more thing", email="lena@example.de"))
    text = page(client, again)
    assert "In now, until 17:00 today (CET)" in text
    assert "We usually reply within 4 business hours — by Mon 9 Mar, 12:30 (CET)." in text
    clock.advance(timedelta(hours=1))  # 17:30 on Friday
    assert "Closed now; back Mon 9 Mar, 09:00 (CET)" in page(client, again)


def test_only_an_admin_names_the_team_and_a_name_must_be_given(services, ann, bob):
    import pytest

    from helpdesk.services.errors import Forbidden, ValidationFailed

    assert services.promise.team_name() == "The team"
    with pytest.raises(Forbidden):
        services.promise.set_team_name("Bob's", bob)
    with pytest.raises(ValidationFailed):
        services.promise.set_team_name("   ", ann)


def test_the_logo_is_checked_kept_and_shown_on_the_customer_page(services, client, ann):
    import io

    import pytest
    from PIL import Image

    from helpdesk.services.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        services.promise.set_logo(b"<svg onload=alert(1)>", ann)
    assert client.get("/files/logo").status_code == 404
    png = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 60, 30)).save(png, "PNG")
    services.promise.set_logo(png.getvalue(), ann)
    served = client.get("/files/logo")
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert served.content == png.getvalue()
    result = services.conversations.receive(IncomingMessage(body="Hi", email="lena@example.de"))
    assert '<img class="logo" src="/files/logo"' in client.get(f"/c/{result.public_token}").text
    services.promise.set_logo(b"", ann)
    assert client.get("/files/logo").status_code == 404
