"""Pictures in help articles: stored once in the file store (content-addressed), recorded in
article_image so the store's clean-up keeps them, and served at /help/_images/<sha256>.<ext>
only while a published article shows them."""

from __future__ import annotations

import re
import time
from pathlib import Path

from sqlalchemy import insert, select

from helpdesk.models.help import PUBLISHED
from helpdesk.models.tables import ARTICLE_IMAGES as IMAGES, ARTICLES as A
from helpdesk.services.base import ADMIN, AGENT, Actor, Service, require_role, writes
from helpdesk.services.errors import ValidationFailed
from helpdesk.services.files import StagedFile

IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}
MAX_IMAGE = 5_000_000
_SHA = re.compile(r"^[0-9a-f]{64}$")
_IMAGE_PATH = re.compile(r"/help/_images/([0-9a-f]{64})\.")
SHOWN_IMAGES_SECONDS = 60.0


def image_path(sha256: str, content_type: str) -> str:
    """Where an article's picture is on the help center (its type in the name: a saved copy opens)."""
    return f"/help/_images/{sha256}.{IMAGE_TYPES.get(content_type, 'png')}"


class PicturesMixin(Service):
    """ArticleService's pictures (it sets files_root and _shown, and forgets _shown on every change)."""

    files_root: Path
    _shown: tuple[float, frozenset[str]] | None

    @writes
    def add_image(self, actor: Actor, staged: StagedFile) -> str:
        """A picture from the file store for an article: the Markdown that shows it (the caller
        discards the staged file when this refuses it)."""
        require_role(actor, ADMIN, AGENT, doing="add pictures to help articles")
        if staged.content_type not in IMAGE_TYPES or not 0 < staged.size <= MAX_IMAGE:
            raise ValidationFailed("the picture was not added", {
                "image": f"must be a PNG, JPEG, WebP or GIF image of at most {MAX_IMAGE // 1_000_000} MB"})
        with self.db.write() as tx:
            conn = tx.session.connection()
            if conn.execute(select(IMAGES.c.sha256).where(IMAGES.c.sha256 == staged.sha256)).first() is None:
                conn.execute(insert(IMAGES).values(
                    sha256=staged.sha256, filename=staged.filename[:200], content_type=staged.content_type,
                    size=staged.size, added_by=actor.agent_id, created_at=self.now()))
        alt = re.sub(r"[\[\]\\]", "", staged.filename.rsplit(".", 1)[0])[:80] or "picture"
        return f"![{alt}]({image_path(staged.sha256, staged.content_type)})"

    def public_image(self, sha256: str) -> tuple[Path, str] | None:
        """A picture's file and type while a published article shows it; None otherwise (a draft's
        pictures are not out yet). Anyone may ask, as often as they like: which pictures are shown
        is worked out once (again after an article changes here, or a minute on for another
        process's changes), not by reading every article each time."""
        if not _SHA.fullmatch(sha256) or sha256 not in self._shown_images():
            return None
        with self.db.read() as s:
            kind = s.execute(select(IMAGES.c.content_type).where(IMAGES.c.sha256 == sha256)).scalar()
        return (self.files_root / sha256[:2] / sha256[2:4] / sha256, kind) if kind else None

    def _shown_images(self) -> frozenset[str]:
        known = self._shown
        if known is None or time.monotonic() - known[0] > SHOWN_IMAGES_SECONDS:
            with self.db.read() as s:
                bodies = s.execute(select(A.c.body).where(A.c.status == PUBLISHED,
                                                          A.c.body.contains("/help/_images/"))).scalars()
                shown = frozenset(sha for body in bodies for sha in _IMAGE_PATH.findall(body))
            known = self._shown = (time.monotonic(), shown)
        return known[1]
