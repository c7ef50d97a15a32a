"""Pictures in help articles: stored once in the file store, shown on the help center while a
published article shows them (never a draft's), kept from the store's clean-up, refused when
they are not pictures, and copied beside the pages by `help export`."""

from __future__ import annotations

import os
import time

import pytest

from helpdesk.services.base import Actor
from helpdesk.services.errors import Forbidden, ValidationFailed
from tests.api.test_files import png


def test_a_picture_shows_on_the_help_center_once_its_article_is_published(client, services, ann):
    staged = services.files.stage_bytes(png("green", (40, 30)), "worn pads.png")
    markdown = services.articles.add_image(ann, staged)
    assert markdown == f"![worn pads](/help/_images/{staged.sha256}.png)"
    article = services.articles.create(ann, "When to change brake pads", f"Like this:\n\n{markdown}",
                                       category="Repairs")
    path = f"/help/_images/{staged.sha256}.png"
    assert client.get(path).status_code == 404  # a draft's picture is not out yet
    services.articles.change(article.id, ann, status="published")
    picture = client.get(path)
    assert picture.status_code == 200 and picture.content == png("green", (40, 30))
    assert picture.headers["content-type"] == "image/png" and "immutable" in picture.headers["cache-control"]
    assert f'<img src="{path}" alt="worn pads">' in client.get(article.path).text
    assert client.get(f"/help/_images/{staged.sha256}.gif").status_code == 404  # not its type
    assert client.get("/help/_images/../../etc/passwd").status_code in (400, 404)
    services.articles.change(article.id, ann, status="draft")
    assert client.get(path).status_code == 404  # taken back: its picture with it
    services.articles.change(article.id, ann, status="published")

    # The store's clean-up of unsent uploads keeps it, however old.
    stored = services.files.path_of(staged.sha256)
    os.utime(stored, (time.time() - 3 * 86400,) * 2)
    services.files.collect_garbage()
    assert stored.exists()


def test_what_is_not_a_picture_is_refused(services, ann):
    text = services.files.stage_bytes(b"just words, not a picture", "notes.png")
    with pytest.raises(ValidationFailed) as refused:
        services.articles.add_image(ann, text)
    assert "PNG, JPEG, WebP or GIF" in refused.value.fields["image"]
    with pytest.raises(Forbidden):  # an integration's token writes articles' text only
        services.articles.add_image(Actor(role="integration", id=1, name="docs sync"),
                                    services.files.stage_bytes(png(), "a.png"))
