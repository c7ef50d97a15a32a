"""Articles: written by agents (in Settings › Help center, or saved from a conversation with the
customer's personal data masked), published to /help, found with the full-text engine
conversations use, and offered to customers while they type. An agent or an admin writes
them; an API token needs the admin scope."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from helpdesk.clock import Clock
from helpdesk.config import Settings
from helpdesk.db import Database, fts
from helpdesk.db.fts_messages import fold
from helpdesk.events import ARTICLES_CHANGED
from helpdesk.models import AppSetting
from helpdesk.models.help import DRAFT, MAX_TITLE, PUBLISHED
from helpdesk.models.tables import AGENTS, ARTICLES as A
from helpdesk.services.base import (ADMIN, AGENT, UNSET, Actor, Service, audit, new_id, require_admin, require_role,
                                   writes)
from helpdesk.services.assist.similar import conversation_texts
from helpdesk.services.errors import NotFound, ValidationFailed
from helpdesk.services.help.markdown import excerpt, plain
from helpdesk.services.help.from_conversation import draft_from_conversation
from helpdesk.services.help.pictures import PicturesMixin
from helpdesk.services.links import Links
from helpdesk.services.search import highlight

STATUSES = (DRAFT, PUBLISHED)
SITE_KEY = "help_center"
MAX_BODY, MAX_CATEGORY = 100_000, 60
MAX_ARTICLES = 5_000
SUGGEST_LIMIT = 3
MAX_QUERY = 200  # a visitor's words beyond this are not searched for
# Words that tell nothing about what a visitor needs (English, German, French, Spanish, Dutch).
STOP_WORDS = frozenset("""
the and for you your my mine our are was were what how can could does did with this that have has had not but
when where why who there will would should please hello thanks thank from about just into also any some one
der die das und ist ein eine einen mein meine ich sie wie was wann nicht mit fur bei auf von dem den des hallo
les des une est pour avec mon mes vous bonjour merci que qui quoi pas
los las que por para con una mis hola gracias como
het een van mijn niet met voor
""".split())
LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$")
GENERAL = "General"


def slugify(text: str, fallback: str = "article") -> str:
    """"Brake pads: when to change them?" → "brake-pads-when-to-change-them"."""
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")[:80].rstrip("-")
    return slug or fallback


@dataclass(frozen=True)
class ArticleView:
    id: int
    title: str
    slug: str
    body: str  # Markdown
    category: str  # "" for none: shown as General
    language: str
    status: str
    author: str
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    source_conversation_id: int | None

    @property
    def category_name(self) -> str:
        return self.category or GENERAL

    @property
    def category_slug(self) -> str:
        return slugify(self.category_name, "general")

    @property
    def path(self) -> str:
        """Where it is on the site, from the site's root: /help/<category>/<slug>."""
        return f"/help/{self.category_slug}/{self.slug}"

    @property
    def excerpt(self) -> str:
        return excerpt(self.body)


@dataclass(frozen=True)
class HelpSite:
    """How the help center presents itself: its title and the shop's colour (#rrggbb, or None)."""

    title: str = "Help center"
    colour: str | None = None


@dataclass(frozen=True)
class ArticleHit:
    article: ArticleView
    segments: list[tuple[str, bool]]  # the matching words marked, as the inbox's search does


@dataclass(frozen=True)
class SavedDraft:
    article: ArticleView
    masked: int  # pieces of personal data masked for review


def _view(row: Any, authors: dict[int, str]) -> ArticleView:
    return ArticleView(row.id, row.title, row.slug, row.body, row.category, row.language, row.status,
                       authors.get(row.author_id, "") if row.author_id else "", row.created_at, row.updated_at,
                       row.published_at, row.source_conversation_id)


class ArticleService(PicturesMixin, Service):
    def __init__(self, db: Database, clock: Clock, settings: Settings, links: Links) -> None:
        super().__init__(db, clock, settings)
        self.links = links
        self.files_root = settings.data_dir / "files"  # the file store (services/files.py) holds the pictures
        self._shown: tuple[float, frozenset[str]] | None = None  # (when, the pictures published articles show)

    def url(self, article: ArticleView) -> str:
        """Where a customer reads it: from the shop's configured address, never a request's Host."""
        return self.links.base_url() + article.path

    # ---- reading --------------------------------------------------------------------------------

    def _read(self, *where: Any, order: Any = None, limit: int | None = None) -> list[ArticleView]:
        with self.db.read() as s:
            conn = s.connection()
            query = select(A).where(*where).order_by(*(order if order is not None else (A.c.updated_at.desc(),)))
            rows = conn.execute(query.limit(limit) if limit else query).all()
            ids = {r.author_id for r in rows if r.author_id}
            authors = dict(conn.execute(select(AGENTS.c.id, AGENTS.c.name).where(AGENTS.c.id.in_(ids))).all()) \
                if ids else {}
        return [_view(r, authors) for r in rows]

    def all(self, status: str | None = None, language: str | None = None) -> list[ArticleView]:
        """Every article (agents see drafts too), most recently changed first."""
        where: list[Any] = [A.c.status == status] if status else []
        if language:
            where.append(A.c.language == language)
        return self._read(*where)

    def published(self, language: str) -> list[ArticleView]:
        """The site's articles in a language, by category and title."""
        return self._read(A.c.status == PUBLISHED, A.c.language == language, order=(A.c.category, A.c.title))

    def get(self, article_id: int) -> ArticleView:
        found = self._read(A.c.id == article_id)
        if not found:
            raise NotFound(f"article {article_id} not found")
        return found[0]

    def find(self, category_slug: str, slug: str, language: str | None) -> ArticleView | None:
        """A published article by its address: in `language` when there is one, else in any."""
        found = [a for a in self._read(A.c.slug == slug, A.c.status == PUBLISHED) if a.category_slug == category_slug]
        return next((a for a in found if a.language == language), found[0] if found else None)

    def languages(self) -> list[str]:
        """The languages the shop has published in, the one with the most articles first."""
        with self.db.read() as s:
            rows = s.execute(select(A.c.language).where(A.c.status == PUBLISHED)).scalars().all()
        counts: dict[str, int] = {}
        for language in rows:
            counts[language] = counts.get(language, 0) + 1
        return sorted(counts, key=lambda lang: (-counts[lang], lang))

    def pick_language(self, accept_language: str | None, asked: str | None = None) -> str:
        """The language to show: the one asked for (?lang=) if the shop wrote in it, else the first
        of the visitor's Accept-Language the shop wrote in, else the shop's main one."""
        have = self.languages()
        if not have:
            return "en"
        if asked and asked.lower() in have:
            return asked.lower()
        wanted = []
        for part in (accept_language or "")[:500].split(","):
            tag, _, q = part.strip().partition(";q=")
            try:
                weight = float(q) if q else 1.0
            except ValueError:
                weight = 0.0
            if tag:
                wanted.append((weight, tag.strip().lower()))
        for _, tag in sorted(wanted, key=lambda w: -w[0]):
            for candidate in (tag, tag.split("-")[0]):
                if candidate in have:
                    return candidate
        return have[0]

    def search(self, query: str, language: str | None = None, limit: int = 20,
               published_only: bool = True) -> list[ArticleHit]:
        """Full-text search over titles and bodies (every word, the last as a prefix)."""
        query = (query or "")[:MAX_QUERY]
        words = fts.query_words(query)
        if not words:
            return []
        with self.db.read() as s:
            hits = fts.search_articles(s, query, 100)
        if not hits:
            return []
        where: list[Any] = [A.c.id.in_([h.id for h in hits])]
        if published_only:
            where.append(A.c.status == PUBLISHED)
        if language:
            where.append(A.c.language == language)
        by_id = {a.id: a for a in self._read(*where)}
        ranked = [by_id[h.id] for h in hits if h.id in by_id][:limit]
        return [ArticleHit(a, highlight(plain(a.body) or a.title, words)) for a in ranked]

    def suggest(self, query: str, language: str | None) -> list[ArticleView]:
        """Up to three published articles for what a visitor is typing: those with the most of its
        telling words (two at least, once it has three), the best match first."""
        words = [_stem(w) for w in dict.fromkeys(fold(w) for w in fts.query_words((query or "")[:MAX_QUERY]))
                 if len(w) >= 3 and w not in STOP_WORDS][:12]
        if not words:
            return []
        with self.db.read() as s:
            hits = fts.search_articles_any(s, words, 30)
        if not hits:
            return []
        where: list[Any] = [A.c.id.in_([h.id for h in hits]), A.c.status == PUBLISHED]
        if language:
            where.append(A.c.language == language)
        by_id = {a.id: a for a in self._read(*where)}
        need = 1 if len(words) <= 2 else 2
        scored = []
        for order, hit in enumerate(hits):
            article = by_id.get(hit.id)
            if article is None:
                continue
            found = {fold(t) for t in fts.query_words(f"{article.title} {plain(article.body)}")}
            matched = sum(1 for w in words if any(t.startswith(w) for t in found))
            if matched >= need:
                scored.append((-matched, order, article))
        return [article for *_, article in sorted(scored, key=lambda x: (x[0], x[1]))[:SUGGEST_LIMIT]]

    @staticmethod
    def published_called(conn: Connection, title: str) -> ArticleView | None:
        """The published article with this title (any language, the oldest first), read in the caller's
        transaction (automation replying with a named article)."""
        row = conn.execute(select(A).where(func.lower(A.c.title) == title.strip().lower(), A.c.status == PUBLISHED)
                           .order_by(A.c.id).limit(1)).first()
        return _view(row, {}) if row is not None else None

    def for_conversation(self, conversation_id: int) -> list[ArticleView]:
        """The published articles that answer what the customer asked (its subject and their latest
        words), for the agent's assist panel and for automation."""
        with self.db.read() as s:
            texts = conversation_texts(s.connection(), conversation_id)
        return self.suggest(" ".join(t for t in texts if t), None)

    def site(self) -> HelpSite:
        with self.db.read() as s:
            setting = s.get(AppSetting, SITE_KEY)
        value = setting.value if setting and setting.value else {}
        return HelpSite(str(value.get("title") or "Help center"), value.get("colour") or None)

    def set_site(self, title: str, colour: str | None, actor: Actor) -> HelpSite:
        require_admin(actor, "change the help center")
        clean = " ".join((title or "").split()) or "Help center"
        fields: dict[str, str] = {}
        if len(clean) > 60:
            fields["title"] = "must be at most 60 characters"
        if colour and not re.fullmatch(r"#[0-9a-fA-F]{6}", colour.strip()):
            fields["colour"] = "must be a colour like #b5542f"
        if fields:
            raise ValidationFailed("the help center was not changed", fields)
        self._save_site({"title": clean, "colour": colour.strip().lower() if colour else None}, actor)
        return self.site()

    @writes
    def _save_site(self, value: dict[str, Any], actor: Actor) -> None:
        with self.db.write() as tx:
            setting = tx.session.get(AppSetting, SITE_KEY) or AppSetting(key=SITE_KEY)
            setting.value = value
            tx.session.add(setting)
            audit(tx.session, self.now(), actor, "help.site", **value)

    def seen(self, article_ids: list[int]) -> list[dict[str, Any]]:
        """What a message carries of the articles its writer read first (published ones, at most
        five): the agent sees them in the thread without looking anything up."""
        wanted = [i for i in dict.fromkeys(article_ids) if isinstance(i, int)][:5]
        if not wanted:
            return []
        found = {a.id: a for a in self._read(A.c.id.in_(wanted), A.c.status == PUBLISHED)}
        return [{"id": a.id, "title": a.title, "path": a.path} for i in wanted if (a := found.get(i))]

    # ---- writing --------------------------------------------------------------------------------

    def create(self, actor: Actor, title: str, body: str, category: str = "", language: str = "en",
               status: str = DRAFT, source_conversation_id: int | None = None) -> ArticleView:
        require_role(actor, ADMIN, AGENT, doing="write help articles")
        clean = self._check(title=title, body=body, category=category, language=language, status=status)
        article_id = self._insert(actor, clean, source_conversation_id)
        self._shown = None
        return self.get(article_id)

    def change(self, article_id: int, actor: Actor, *, title: Any = UNSET, body: Any = UNSET, category: Any = UNSET,
               language: Any = UNSET, status: Any = UNSET) -> ArticleView:
        """What is given changes; a new title keeps the article's address (links out there keep working)."""
        require_role(actor, ADMIN, AGENT, doing="change help articles")
        current = self.get(article_id)
        given = {k: v for k, v in (("title", title), ("body", body), ("category", category), ("language", language),
                                   ("status", status)) if v is not UNSET}
        clean = self._check(**{"title": current.title, "body": current.body, "category": current.category,
                               "language": current.language, "status": current.status, **given})
        self._update(article_id, actor, clean, current)
        self._shown = None
        return self.get(article_id)

    def delete(self, article_id: int, actor: Actor) -> ArticleView:
        require_role(actor, ADMIN, AGENT, doing="delete help articles")
        article = self.get(article_id)
        self._delete(article, actor)
        self._shown = None
        return article

    def save_from_conversation(self, conversation_id: int, actor: Actor,
                               message_id: int | None = None) -> SavedDraft:
        """A draft from a conversation: the customer's question and the team's answer (`message_id`,
        else the last reply), the customer's names and numbers masked for review."""
        require_role(actor, ADMIN, AGENT, doing="write help articles")
        with self.db.read() as s:
            draft = draft_from_conversation(s.connection(), conversation_id, message_id)
        article = self.create(actor, draft.title, draft.body, source_conversation_id=conversation_id)
        return SavedDraft(article, draft.masked)

    def _check(self, title: str, body: str, category: str, language: str, status: str) -> dict[str, Any]:
        fields: dict[str, str] = {}
        clean_title = " ".join(str(title or "").split())
        if not clean_title:
            fields["title"] = "must not be empty"
        elif len(clean_title) > MAX_TITLE:
            fields["title"] = f"must be at most {MAX_TITLE} characters"
        text = str(body or "").replace("\r\n", "\n")
        if len(text) > MAX_BODY:
            fields["body"] = f"must be at most {MAX_BODY:,} characters"
        clean_category = " ".join(str(category or "").split())
        if len(clean_category) > MAX_CATEGORY:
            fields["category"] = f"must be at most {MAX_CATEGORY} characters"
        clean_language = str(language or "").strip().lower()
        if not LANGUAGE.match(clean_language):
            fields["language"] = "must be a language code like en, de or pt-br"
        if status not in STATUSES:
            fields["status"] = "must be draft or published"
        elif status == PUBLISHED and not text.strip():
            fields["body"] = "an article is published with something in it"
        if fields:
            raise ValidationFailed("the article was not saved", fields)
        return {"title": clean_title, "body": text, "category": clean_category, "language": clean_language,
                "status": status}

    @staticmethod
    def _free_slug(conn: Connection, language: str, title: str, article_id: int | None = None) -> str:
        base = slugify(title)
        taken = set(conn.execute(select(A.c.slug).where(A.c.language == language, A.c.slug.like(base + "%"),
                                                        A.c.id != (article_id or 0))).scalars())
        if base not in taken:
            return base
        return next(f"{base}-{n}" for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)

    @writes
    def _insert(self, actor: Actor, clean: dict[str, Any], source_conversation_id: int | None) -> int:
        now = self.now()
        with self.db.write() as tx:
            conn = tx.session.connection()
            if len(conn.execute(select(A.c.id).limit(MAX_ARTICLES)).all()) >= MAX_ARTICLES:
                raise ValidationFailed("the article was not saved", {"title": f"at most {MAX_ARTICLES} articles"})
            article_id = new_id(conn.execute(insert(A).values(
                **clean, slug=self._free_slug(conn, clean["language"], clean["title"]), author_id=actor.agent_id,
                source_conversation_id=source_conversation_id, created_at=now, updated_at=now,
                published_at=now if clean["status"] == PUBLISHED else None)))
            audit(conn, now, actor, "article.created", article_id=article_id, title=clean["title"],
                  status=clean["status"])
            tx.emit(ARTICLES_CHANGED, None, article_id=article_id)
        return article_id

    @writes
    def _update(self, article_id: int, actor: Actor, clean: dict[str, Any], current: ArticleView) -> None:
        now = self.now()
        values = {**clean, "updated_at": now}
        if clean["status"] == PUBLISHED and current.status != PUBLISHED:
            values["published_at"] = now
        with self.db.write() as tx:
            conn = tx.session.connection()
            if clean["language"] != current.language:  # its address must be free in the other language
                values["slug"] = self._free_slug(conn, clean["language"], current.slug, article_id)
            conn.execute(update(A).where(A.c.id == article_id).values(**values))
            audit(conn, now, actor, "article.changed", article_id=article_id, title=clean["title"],
                  status=clean["status"])
            tx.emit(ARTICLES_CHANGED, None, article_id=article_id)

    @writes
    def _delete(self, article: ArticleView, actor: Actor) -> None:
        with self.db.write() as tx:
            conn = tx.session.connection()
            conn.execute(delete(A).where(A.c.id == article.id))
            audit(conn, self.now(), actor, "article.deleted", article_id=article.id, title=article.title)
            tx.emit(ARTICLES_CHANGED, None, article_id=article.id)


def _stem(word: str) -> str:
    """A word's front as a prefix for a visitor's sentence: "brakes" finds "brake", "rains" finds "rain"."""
    for ending in ("ing", "es", "ed", "s"):
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[:-len(ending)]
    return word
