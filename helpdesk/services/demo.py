"""A believable shop's history for newcomers: 68 customers and 80 conversations over the last
two weeks, in every status, with notes, tags, transfers and ratings. Customers write mostly by
day and evening; the team works its business hours (so response times read as a shop's would:
a reply the next morning to an evening message took minutes of the team's time, not zero);
a few customers come back within the week.

Built through the real services on a clock that walks forward through the past,
so every timestamp, system event and waiting time is what the product would have
recorded had it happened live."""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from helpdesk.clock import Clock, ManualClock
from helpdesk.config import Settings
from helpdesk.db import Database
from helpdesk.models import OPEN, PENDING, RESOLVED, SNOOZED, Agent
from helpdesk.services.agents import AgentService
from helpdesk.services.base import Actor
from helpdesk.services.canned import CannedReplyService
from helpdesk.services.conversations import ConversationService, IncomingMessage
from helpdesk.services.links import Links
from helpdesk.services.sla import SlaService

DEMO_PASSWORD = "demo-password"
DEMO_AGENTS = [("sam@bikeshop.example", "Sam Rivera", "admin"),
               ("priya@bikeshop.example", "Priya Shah", "agent"),
               ("tom@bikeshop.example", "Tom Becker", "agent")]

FIRST = ["Ann", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Hugo", "Isla", "Jonas", "Kira", "Leo",
         "Maya", "Noah", "Olivia", "Paul", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Will", "Xenia",
         "Yusuf", "Zoe", "Aiko", "Bruno", "Carmen", "Dmitri"]
LAST = ["Keller", "Okafor", "Martin", "Nguyen", "Schmidt", "Rossi", "Silva", "Kowalski", "Dubois", "Hansen",
        "Murphy", "Tanaka", "Garcia", "Novak", "Larsen"]

# (subject, first message, follow-up, agent reply, tags)
TOPICS = [
    ("Order hasn't arrived", "Hi, I ordered a rear light last Tuesday (order {n}) and it still hasn't arrived. Can you check?",
     "Any news on this? I need it for my commute.", "Sorry for the wait! The parcel was held at the depot; it's out for delivery today.", ["shipping"]),
    ("Wrong size delivered", "The helmet I received is an M, I ordered an L. Order {n}.",
     "I've attached a photo of the label.", "Thanks for the photo. An L is on its way, and here is a free return label for the M.", ["returns"]),
    ("Brake service booking", "Can I bring my bike in for a brake service this week? Disc brakes, they squeal.",
     "Thursday morning would suit me best.", "Thursday at 9:30 works. It takes about an hour; you can wait or collect later.", ["workshop"]),
    ("Refund not received", "I returned a jacket two weeks ago and haven't seen the refund yet. Order {n}.",
     "Still nothing on my card statement.", "The refund was issued on Monday; banks take 3–5 working days to show it.", ["billing", "returns"]),
    ("Tubeless conversion", "Do you sell tubeless kits for 29\" wheels? Which sealant do you recommend?",
     "Also, do you fit them in the workshop?", "Yes: the kit is in stock and we fit it for a small charge. We recommend the latex sealant.", ["workshop", "product-question"]),
    ("Discount code not working", "The code SPRING10 says invalid at checkout.",
     "Tried again on my phone, same thing.", "That code ended on Sunday, sorry! I've added 10% to your account for your next order.", ["billing"]),
    ("Invoice for company", "Could you send an invoice with our company VAT number for order {n}?",
     "The VAT number is DE{vat}.", "Done: the corrected invoice is attached to your order page.", ["billing"]),
    ("E-bike battery range", "My e-bike battery only lasts 20 km now, it used to do 60. Is it under warranty?",
     "Bought it 14 months ago.", "It is under the 2-year warranty. Bring it in and we'll run the diagnostic.", ["warranty", "workshop"]),
    ("Stock question", "Will the blue gravel bike in size 54 be back in stock?",
     "Happy to pre-order if possible.", "We expect it in 3 weeks; I've reserved one for you.", ["product-question"]),
    ("Damaged in transit", "The box arrived crushed and the derailleur hanger is bent. Order {n}.",
     "What should I do with the damaged one?", "Sorry about that! A replacement hanger is on its way; please keep the damaged part.", ["shipping", "warranty"]),
]

CUSTOMERS = 68
# What customers who rate say: mostly pleased, now and then less so.
RATINGS = [(5, ""), (5, "Quick and friendly, thanks!"), (5, ""), (5, "Sorted in one message."), (4, ""), (5, ""),
           (4, "Good, though it took a day."), (5, ""), (3, "Fine in the end, but I had to write twice."), (4, ""),
           (2, "Took too long."), (5, "")]
# Customers write from early morning to late evening, most around lunch and after work.
HOUR_WEIGHTS = [1, 0, 0, 0, 0, 1, 2, 4, 6, 7, 7, 7, 8, 7, 6, 6, 6, 7, 8, 8, 7, 5, 3, 2]


# Internal notes on open conversations: words that fit any topic (one note text on a brake
# booking and a battery question alike read as made up).
NOTES = ("Called the customer, no answer. Trying again after lunch.",
         "Asked Tom in the workshop; he will look at it and get back to me today.",
         "Picked this up; answering once I have checked their order history.")

def vat_number(email: str) -> str:
    """Each customer's company its own made-up VAT number (one number from two reads as made up)."""
    return str(100_000_000 + zlib.crc32(email.encode()) % 900_000_000)


def daytime(rng: random.Random, when: datetime, end: datetime) -> datetime:
    """The same day at an hour a customer would write (never after `end`)."""
    hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
    moved = when.replace(hour=hour, minute=rng.randrange(60))
    return moved if moved < end - timedelta(minutes=5) else when


CANNED = [
    ("Greeting", "Hi {{customer.first_name}},\n\nthanks for getting in touch!\n\n{{agent.name}}"),
    ("Order status", "Hi {{customer.first_name}}, I've checked your order and will update you here: {{conversation.link}}"),
    ("Closing", "Glad we could help, {{customer.first_name}}. Just reply here if anything else comes up.\n\n{{agent.name}}"),
]


def label_photo() -> bytes:
    """The photo a customer sends of a helmet's size label (drawn, so the demo needs no files)."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (480, 320), (236, 232, 222))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((40, 40, 440, 280), radius=18, fill="white", outline=(60, 60, 60), width=4)
    draw.text((75, 75), "HELMET AERO 2", fill=(30, 30, 30), font=ImageFont.load_default(size=34))
    draw.text((75, 140), "SIZE  M", fill=(200, 30, 30), font=ImageFont.load_default(size=52))
    draw.text((75, 215), "54-58 cm   EN 1078", fill=(30, 30, 30), font=ImageFont.load_default(size=26))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


@dataclass
class DemoSummary:
    agents: int
    customers: int
    conversations: int
    messages: int


def fill_demo(db: Database, settings: Settings, real_clock: Clock, seed: int = 7) -> DemoSummary:
    """Fill an empty database with the demo shop. Timestamps end at real_clock.now()."""
    rng = random.Random(seed)
    end = real_clock.now()
    clock = ManualClock(end - timedelta(days=14))
    agents_svc = AgentService(db, clock, settings)
    convs = ConversationService(db, clock, settings)
    canned = CannedReplyService(db, clock, settings, Links(settings))

    agents: list[Agent] = [agents_svc.create(e, n, DEMO_PASSWORD, r, actor=Actor.system()) for e, n, r in DEMO_AGENTS]
    calendar = SlaService(db, clock, settings).calendar()
    actors = [Actor.for_agent(a) for a in agents]
    for title, body in CANNED:
        canned.create(title, body, actors[0])

    # 64 customers, 80 conversations: a customer's earlier conversations were resolved
    # before they wrote again (otherwise their message would join the open one).
    last_outcomes = [OPEN] * 14 + [PENDING] * 9 + [SNOOZED] * 5 + [RESOLVED] * 40
    rng.shuffle(last_outcomes)
    counts = [1] * CUSTOMERS
    for _ in range(80 - CUSTOMERS):
        counts[rng.randrange(CUSTOMERS)] += 1
    plan: list[tuple[dict[str, Any], str, datetime, datetime]] = []  # customer, outcome, start, must end by
    for i, count in enumerate(counts):
        first = FIRST[i % len(FIRST)]
        last = LAST[(i * 4 + i // len(FIRST)) % len(LAST)]  # every first and last name pair once
        customer: dict[str, Any] = {"name": f"{first} {last}", "email": f"{first.lower()}.{last.lower()}@example.com",
                    "phone": f"+1555{rng.randint(1000000, 9999999)}" if i % 3 == 0 else None}
        recent = last_outcomes[i] == OPEN
        # Open ones came in lately, pending and snoozed ones in the last days; resolved ones any time.
        back = rng.uniform(0.05, 1.5) if recent else rng.uniform(0.5, 13) if last_outcomes[i] == RESOLVED \
            else rng.uniform(0.5, 4)
        last_start = daytime(rng, end - timedelta(days=back), end)
        earlier = sorted(daytime(rng, end - timedelta(days=rng.uniform(4.5, 14)), end) for _ in range(count - 1))
        starts = sorted(earlier + [last_start])
        for j in range(1, len(starts)):  # a customer's conversations are hours apart at least
            starts[j] = min(max(starts[j], starts[j - 1] + timedelta(hours=6)), end - timedelta(minutes=10))
        for j, started in enumerate(starts):
            is_last = j == len(starts) - 1
            limit = end - timedelta(minutes=1) if is_last else starts[j + 1] - timedelta(minutes=5)
            plan.append((customer, last_outcomes[i] if is_last else RESOLVED, started, limit))

    # Every step of every conversation, with its time; replayed in time order.
    steps: list[tuple[datetime, int, Callable[..., object]]] = []
    state: dict[int, int] = {}

    for k, (customer, outcome, start, limit) in enumerate(plan):
        subject, first_msg, follow_up, answer, tags = TOPICS[rng.randrange(len(TOPICS))]
        order = f"#{rng.randint(10400, 10999)}"
        agent = actors[rng.randrange(len(actors))]
        other = actors[(actors.index(agent) + 1) % len(actors)]
        t = start
        step_cap = (limit - start) / 8  # every step fits before the customer's next conversation

        def at(hours: float, limit: datetime = limit, step_cap: timedelta = step_cap) -> datetime:
            nonlocal t
            t = min(t + min(timedelta(hours=hours), step_cap), limit)
            return t

        def at_work(hours: float, limit: datetime = limit) -> datetime:
            """The team acts in its business hours: the next opening when it falls outside them."""
            nonlocal t
            before = at(hours)
            if calendar.is_working(before):
                return before
            opening = calendar.next_opening(before)
            if opening is not None and opening + timedelta(hours=2) < limit:
                t = opening + timedelta(minutes=rng.uniform(5, 100))
            return t

        def at_awake(hours: float, limit: datetime = limit) -> datetime:
            """Customers write back when they are awake: a time in the night moves to that morning
            (from the minute, not the seeded random, so the rest of the demo stays as it was)."""
            nonlocal t
            before = at(hours)
            if before.hour < 6:
                t = min(before.replace(hour=7, minute=0) + timedelta(minutes=2 * before.minute), limit)
            return t

        def incoming(body: str, k: int = k, customer: dict[str, Any] = customer, subject: str = subject) -> None:
            files = [convs.files.stage_bytes(label_photo(), "label.jpg")] if "photo of the label" in body else []
            result = convs.receive(IncomingMessage(body=body, email=customer["email"], phone=customer["phone"],
                                                   name=customer["name"], subject=subject,
                                                   channel="email" if k % 4 else "web",
                                                   conversation_id=state.get(k)), files=files)
            state[k] = result.conversation_id

        steps.append((t, k, lambda b=first_msg.format(n=order), f=incoming: f(b)))
        if rng.random() < 0.4:
            steps.append((at_awake(rng.uniform(0.5, 20)), k,
                          lambda b=follow_up.format(vat=vat_number(customer["email"])), f=incoming: f(b)))
        if outcome == OPEN:
            if rng.random() < 0.5:
                steps.append((at(0.3), k, lambda k=k, a=agent: convs.assign(state[k], a.id, actors[0])))
            if rng.random() < 0.3:
                steps.append((at(0.2), k, lambda k=k, a=agent: convs.add_note(state[k], a, NOTES[k % len(NOTES)])))
            if rng.random() < 0.5:
                steps.append((at(0.1), k, lambda k=k, tg=tags: convs.set_tags(state[k], tg, actors[0])))
            continue
        steps.append((at_work(rng.uniform(0.2, 5)), k, lambda k=k, a=agent: convs.assign(state[k], a.id, a)))
        steps.append((at(0.1), k, lambda k=k, tg=tags: convs.set_tags(state[k], tg, actors[0])))
        if rng.random() < 0.35:
            steps.append((at(0.4), k, lambda k=k, a=agent: convs.add_note(
                state[k], a, "Customer is a regular; let's be generous here.")))
        if rng.random() < 0.25:
            steps.append((at(0.5), k, lambda k=k, a=agent, o=other: convs.assign(state[k], o.id, a)))
            agent = other
        if rng.random() < 0.2:
            steps.append((at(0.1), k, lambda k=k, a=agent: convs.set_priority(state[k], "high", a)))
        then = {PENDING: PENDING, SNOOZED: PENDING, RESOLVED: RESOLVED}[outcome]
        if outcome == RESOLVED and rng.random() < 0.5:
            # A longer thread: reply, customer answers, then resolve.
            steps.append((at_work(rng.uniform(0.1, 2.5)), k, lambda k=k, a=agent, b=answer: convs.reply(state[k], a, b)))
            steps.append((at_awake(rng.uniform(2, 30)), k, lambda f=incoming: f("Great, thank you! That sorted it.")))
            steps.append((at_work(rng.uniform(0.2, 3)), k, lambda k=k, a=agent: convs.reply(
                state[k], a, "You're welcome, enjoy the ride!", then=RESOLVED)))
        else:
            steps.append((at_work(rng.uniform(0.1, 2.5)), k, lambda k=k, a=agent, b=answer, th=then:
                          convs.reply(state[k], a, b, then=th)))
        if outcome == RESOLVED and rng.random() < 0.6:  # most who were helped say how it went
            rating, comment = rng.choice(RATINGS)
            steps.append((at_awake(rng.uniform(0.5, 20)), k, lambda k=k, r=rating, c=comment: convs.rate(
                convs.get_row(state[k]).public_token, r, c)))
        if outcome == SNOOZED:
            steps.append((at(0.2), k, lambda k=k, a=agent: convs.set_status(
                state[k], SNOOZED, a, snooze_until=end + timedelta(days=rng.randint(1, 4)))))

    steps.sort(key=lambda s: (s[0], s[1]))
    for when, _, step in steps:
        if when > clock.now():
            clock.set(when)
        step()

    # Deadlines missed while the demo's past played out are recorded as the scheduler would have.
    SlaService(db, real_clock, settings).scan()

    from sqlmodel import func, select
    from helpdesk.models import Conversation, Customer, Message
    with db.read() as s:
        return DemoSummary(
            agents=len(agents),
            customers=s.exec(select(func.count()).select_from(Customer)).one(),
            conversations=s.exec(select(func.count()).select_from(Conversation)).one(),
            messages=s.exec(select(func.count()).select_from(Message)).one(),
        )
