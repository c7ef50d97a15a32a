"""What the help center's reports count: article views, "Did this help?" votes, suggestions
shown and conversations avoided, and what visitors searched for (with no result: what they
look for and do not find).

Anyone on the internet reaches these pages, so a view must not cost a database write: counts
gather in memory (bounded: at most MAX_KEYS different things between two flushes, the rest
dropped and said so in the log) and are written together every FLUSH_SECONDS and when
Helpdesk stops. A crash loses at most those seconds of counting, never an article."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta, tzinfo
from typing import Any, Callable

from sqlalchemy import func, insert, select, update

from helpdesk.events import WakeableLoop
from helpdesk.models.tables import ARTICLES as A, HELP_COUNTS as HC, HELP_SEARCHES as HS
from helpdesk.services.base import Service, writes
from helpdesk.services.exports import csv_text
from helpdesk.services.help.articles import slugify
from helpdesk.services.help.markdown import plain
from helpdesk.services.help.masking import mask

log = logging.getLogger(__name__)
KINDS = ("view", "helped", "not_helped", "suggested", "deflected")
FLUSH_SECONDS = 10.0
MAX_KEYS = 5_000
MAX_SEARCH = 100


def fold_query(query: str) -> str:
    """A search as the report groups it and keeps it: lower case, single spaces, at most 100
    characters, an email address, phone or order number typed into it masked (a report is no
    place for a customer's details)."""
    return " ".join(mask(plain((query or "")[:MAX_SEARCH * 2])).text.lower().split())[:MAX_SEARCH]


@dataclass
class ArticleFigures:
    article_id: int
    title: str
    path: str
    views: int = 0
    helped: int = 0
    not_helped: int = 0
    suggested: int = 0
    deflected: int = 0


@dataclass
class HelpReport:
    first: date
    last: date
    articles: list[ArticleFigures] = field(default_factory=list)  # most viewed first
    searches: int = 0
    unanswered: list[tuple[str, int]] = field(default_factory=list)  # (what was searched, how often), most first

    @property
    def views(self) -> int:
        return sum(a.views for a in self.articles)

    @property
    def deflected(self) -> int:
        return sum(a.deflected for a in self.articles)

    @property
    def helped(self) -> int:
        return sum(a.helped for a in self.articles)


class _Flusher(WakeableLoop):
    name = "help-counts"
    doing = "writing the help center's counts"

    def __init__(self, counts: "HelpCounts") -> None:
        super().__init__(None, set(), FLUSH_SECONDS)
        self.counts = counts

    def one_pass(self) -> bool:
        self.counts.flush()
        return False


class HelpCounts(Service):
    def __init__(self, *args: Any, zone: Callable[[], tzinfo], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone  # the shop's time zone: a day is the shop's day
        self._lock = threading.Lock()
        self._counts: dict[tuple[date, int, str], int] = {}
        self._searches: dict[tuple[date, str], tuple[int, int]] = {}  # -> (found, count)
        self._dropped = 0
        self._flusher: _Flusher | None = None

    def today(self) -> date:
        """The shop's day now (counts are kept per day where the shop is)."""
        return self.now().astimezone(self.zone()).date()

    def _room(self) -> bool:
        if len(self._counts) + len(self._searches) < MAX_KEYS:
            return True
        self._dropped += 1
        return False

    def count(self, article_id: int, kind: str, n: int = 1) -> None:
        assert kind in KINDS, kind
        key = (self.today(), article_id, kind)
        with self._lock:
            if key in self._counts or self._room():
                self._counts[key] = self._counts.get(key, 0) + n
        self._started()

    def searched(self, query: str, found: int) -> None:
        folded = fold_query(query)
        if not folded:
            return
        key = (self.today(), folded)
        with self._lock:
            if key in self._searches or self._room():
                self._searches[key] = (found, self._searches.get(key, (0, 0))[1] + 1)
        self._started()

    def _started(self) -> None:
        if self._flusher is None:
            with self._lock:
                if self._flusher is None:
                    flusher = _Flusher(self)
                    flusher.start()
                    self._flusher = flusher

    def close(self) -> None:
        """Stop the flushing thread and write what is left (Helpdesk is stopping)."""
        flusher, self._flusher = self._flusher, None
        if flusher is not None:
            flusher.stop()
        self.flush()

    def flush(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, {}
            searches, self._searches = self._searches, {}
            dropped, self._dropped = self._dropped, 0
        if dropped:
            log.warning("help center: %d counts dropped (more than %d different things in %.0f s)", dropped,
                        MAX_KEYS, FLUSH_SECONDS)
        if counts or searches:
            self._write(counts, searches)

    @writes
    def _write(self, counts: dict[tuple[date, int, str], int], searches: dict[tuple[date, str], tuple[int, int]]) -> None:
        with self.db.write() as tx:
            conn = tx.session.connection()
            for (day, article_id, kind), n in counts.items():
                if conn.execute(update(HC).where(HC.c.day == day, HC.c.article_id == article_id, HC.c.kind == kind)
                                .values(count=HC.c.count + n)).rowcount == 0:
                    conn.execute(insert(HC).values(day=day, article_id=article_id, kind=kind, count=n))
            for (day, query), (found, n) in searches.items():
                if conn.execute(update(HS).where(HS.c.day == day, HS.c.query == query)
                                .values(count=HS.c.count + n, found=found)).rowcount == 0:
                    conn.execute(insert(HS).values(day=day, query=query, found=found, count=n))

    # ---- the report -----------------------------------------------------------------------------

    def report(self, first: date, last: date, top_misses: int = 20) -> HelpReport:
        """Per article and in all, from `first` to `last` (the shop's days, both included)."""
        self.flush()  # what was counted until now is in it
        report = HelpReport(first, last)
        with self.db.read() as s:
            articles = {r.id: r for r in s.execute(select(A.c.id, A.c.title, A.c.slug, A.c.category))}
            figures: dict[int, ArticleFigures] = {}
            for article_id, kind, n in s.execute(select(HC.c.article_id, HC.c.kind, func.sum(HC.c.count))
                                                 .where(HC.c.day >= first, HC.c.day <= last)
                                                 .group_by(HC.c.article_id, HC.c.kind)):
                row = articles.get(article_id)
                if row is None:
                    continue  # deleted since
                figure = figures.setdefault(article_id, ArticleFigures(
                    article_id, row.title, f"/help/{slugify(row.category or 'General', 'general')}/{row.slug}"))
                setattr(figure, "views" if kind == "view" else kind, int(n))
            report.articles = sorted(figures.values(), key=lambda f: (-f.views, f.title))
            report.searches = int(s.execute(select(func.coalesce(func.sum(HS.c.count), 0))
                                            .where(HS.c.day >= first, HS.c.day <= last)).scalar_one())
            report.unanswered = [(q, int(n)) for q, n in s.execute(
                select(HS.c.query, func.sum(HS.c.count).label("n")).where(
                    HS.c.day >= first, HS.c.day <= last, HS.c.found == 0)
                .group_by(HS.c.query).order_by(func.sum(HS.c.count).desc(), HS.c.query).limit(top_misses))]
        return report

    @staticmethod
    def to_csv(report: HelpReport) -> str:
        """Per article, then what visitors searched for and did not find."""
        rows: list[list[Any]] = [["article", "path", "views", "helped", "did not help", "suggested",
                                  "conversations avoided"]]
        rows += [[a.title, a.path, a.views, a.helped, a.not_helped, a.suggested, a.deflected] for a in report.articles]
        rows += [[], ["searched for, nothing found", "times"], *([q, n] for q, n in report.unanswered),
                 [], ["searches in all", report.searches]]
        return csv_text(rows)

    def last_days(self, days: int = 30) -> HelpReport:
        today = self.today()
        return self.report(today - timedelta(days=days - 1), today)
