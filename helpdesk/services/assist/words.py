"""Which words of a conversation to look for in past ones: the customer's, folded (lower case, no
accents) as the full-text index folds them, without the words every message has."""

from __future__ import annotations

import re
from collections import Counter

from helpdesk.db.fts_messages import fold

_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
# Words that say nothing about the topic, in the languages small shops here write in.
STOP = frozenset("""
a about above after again all also am an and any are aren as at be because been before being below between both
but by can cannot could did do does doing don down during each few for from further had has have having he her
here hers him his how i if in into is isn it its just me more most my no nor not now of off on once only or other
our ours out over own please same she should so some such than thank thanks that the their theirs them then there
these they this those through to too under until up very was we were what when where which while who whom why
will with would you your yours hello hi hey dear regards best kind cheers okay ok yes get got one two also still
hasn haven isn doesn didn wasn weren won couldn shouldn wouldn aren
day days week today tomorrow yesterday know need want like just really much many thing things ago since help
und der die das ein eine ist nicht mit auf für ich sie wir ihr mein meine hallo danke bitte oder aber auch noch
og det er en et jeg du vi til af på med har ikke kan min mit tak hej
""".split())
MAX_WORDS = 8


def word_counts(texts: list[str]) -> Counter[str]:
    """How often each telling word occurs (folded, no stop words)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(w for w in (fold(m.group()) for m in _WORD.finditer(text)) if w not in STOP)
    return counts


def topic_words(texts: list[str], limit: int = MAX_WORDS) -> list[str]:
    """The conversation's telling words, most frequent first (longer first, then earlier, among equals)."""
    counts = word_counts(texts)
    order = {w: i for i, w in enumerate(counts)}  # a Counter keeps the order words were first seen in
    return sorted(counts, key=lambda w: (-counts[w], -min(len(w), 10), order[w]))[:limit]
