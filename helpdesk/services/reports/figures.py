"""What a report is made of, in pieces that add up: one day's facts (counts, sums, and the
durations behind every median and p90, in whole seconds) merge with another day's into a
period's. A stored day (the roll-ups) is a few kilobytes however busy it was, and a period's
percentiles from stored days are the same as from the messages themselves: the durations are
kept, sorted, not summarised."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def percentile(values: list[float], p: float) -> float | None:
    """Linear between the two nearest ranks (p=0.5 is the median)."""
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


class Durations:
    """Durations in whole seconds (a report shows minutes and hours; a second is exact enough)."""

    __slots__ = ("values",)

    def __init__(self, values: list[int] | None = None) -> None:
        self.values: list[int] = values if values is not None else []

    @property
    def count(self) -> int:
        return len(self.values)

    def add(self, seconds: float) -> None:
        self.values.append(round(seconds))

    def merge(self, other: "Durations") -> None:
        self.values.extend(other.values)

    def quantile(self, p: float) -> float | None:
        if not self.values:
            return None
        self.values.sort()  # stored days are sorted runs: Timsort merges them rather than sorting anew
        ordered = self.values
        k = (len(ordered) - 1) * p
        lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
        return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)

    def median(self) -> float | None:
        return self.quantile(0.5)

    def to_json(self) -> list[int]:
        return sorted(self.values)

    @classmethod
    def from_json(cls, values: list[int]) -> "Durations":
        return cls(values)


@dataclass
class TimeFigure:
    count: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None
    within_target_share: float | None = None

    @classmethod
    def of(cls, durations: Durations, within: int | None = None, judged: int | None = None) -> "TimeFigure":
        return cls(count=durations.count, median_seconds=durations.median(), p90_seconds=durations.quantile(0.9),
                   within_target_share=(within / judged) if judged and within is not None else None)


@dataclass
class AgentFacts:
    replies: int = 0
    first: Durations = field(default_factory=Durations)
    resolutions: int = 0
    csat_sum: int = 0
    csat_count: int = 0

    def merge(self, other: "AgentFacts") -> None:
        self.replies += other.replies
        self.first.merge(other.first)
        self.resolutions += other.resolutions
        self.csat_sum += other.csat_sum
        self.csat_count += other.csat_count


@dataclass
class DayFacts:
    """One day's share of every figure (or a period's, once merged)."""

    created: int = 0
    resolved: int = 0
    first: Durations = field(default_factory=Durations)
    first_within: int = 0  # of those with a target for their priority
    first_judged: int = 0
    next: Durations = field(default_factory=Durations)
    resolution: Durations = field(default_factory=Durations)
    recontacts: int = 0
    turns_conversations: int = 0  # conversations with any public message, for the averages
    turns_customer: int = 0
    turns_agent: int = 0
    csat_sum: int = 0
    csat_count: int = 0
    hours: list[list[int]] = field(default_factory=lambda: [[0] * 24 for _ in range(7)])
    agents: dict[int, AgentFacts] = field(default_factory=dict)

    def agent(self, agent_id: int) -> AgentFacts:
        if agent_id not in self.agents:
            self.agents[agent_id] = AgentFacts()
        return self.agents[agent_id]

    def merge(self, other: "DayFacts") -> None:
        for name in ("created", "resolved", "first_within", "first_judged", "recontacts", "turns_conversations",
                     "turns_customer", "turns_agent", "csat_sum", "csat_count"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.first.merge(other.first)
        self.next.merge(other.next)
        self.resolution.merge(other.resolution)
        for day, row in enumerate(other.hours):
            mine = self.hours[day]
            for hour, n in enumerate(row):
                if n:
                    mine[hour] += n
        for agent_id, facts in other.agents.items():
            self.agent(agent_id).merge(facts)

    # ---- stored as JSON (the roll-ups) ------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {"created": self.created, "resolved": self.resolved, "first": self.first.to_json(),
                "first_within": self.first_within, "first_judged": self.first_judged, "next": self.next.to_json(),
                "resolution": self.resolution.to_json(), "recontacts": self.recontacts,
                "turns": [self.turns_conversations, self.turns_customer, self.turns_agent],
                "csat": [self.csat_sum, self.csat_count],
                "hours": {f"{d}.{h}": n for d, row in enumerate(self.hours) for h, n in enumerate(row) if n},
                "agents": {str(a): [f.replies, f.first.to_json(), f.resolutions, f.csat_sum, f.csat_count]
                           for a, f in self.agents.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "DayFacts":
        day = cls(created=data["created"], resolved=data["resolved"], first=Durations.from_json(data["first"]),
                  first_within=data["first_within"], first_judged=data["first_judged"],
                  next=Durations.from_json(data["next"]), resolution=Durations.from_json(data["resolution"]),
                  recontacts=data["recontacts"], csat_sum=data["csat"][0], csat_count=data["csat"][1])
        day.turns_conversations, day.turns_customer, day.turns_agent = data["turns"]
        for key, n in data["hours"].items():
            d, h = key.split(".")
            day.hours[int(d)][int(h)] = n
        for agent_id, (replies, first, resolutions, csat_sum, csat_count) in data["agents"].items():
            day.agents[int(agent_id)] = AgentFacts(replies, Durations.from_json(first), resolutions, csat_sum,
                                                   csat_count)
        return day
