"""Shapes of the intake API v1: what integrations send and what they get back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from helpdesk.models import EMAIL, EXTERNAL_ID, IN, PHONE, SPAM, Conversation
from helpdesk.services.base import stored_id
from helpdesk.services.links import conversation_link
from helpdesk.services.conversations import ConversationDetail
from helpdesk.services.conversations.choices import rich_fields
from helpdesk.services.customers import CustomerProfile
from helpdesk.services.sla import SlaRules

Text = Optional[StrictStr]


# Ids are 32-bit integers on PostgreSQL; a larger number can name nothing.
MAX_ID = 2**31 - 1

class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Text = Field(None, max_length=254, examples=["ann@example.com"])
    phone: Text = Field(None, max_length=40, examples=["+15550100"])
    name: Text = Field(None, max_length=200, examples=["Ann"])
    external_id: Text = Field(None, max_length=200, examples=["crm-42"])
    verified: StrictBool = Field(False, description=(
        "true only for a customer your site has signed in (you vouch that they are who the identifiers "
        "say). Only then, and only from a token with scope read or verify, does a message that joins an "
        "existing conversation return that conversation's link: anyone can type someone else's email "
        "address into a contact form, and an intake-only token must not read threads."))


class AttachmentIn(BaseModel):
    """A file sent inside JSON. Its type is read from its bytes; content_type is only a hint."""

    model_config = ConfigDict(extra="forbid")
    filename: StrictStr = Field(..., max_length=1000, examples=["photo.jpg"])
    content_type: Text = Field(None, max_length=200, description="ignored: Helpdesk sniffs the type from the bytes")
    data: StrictStr = Field(..., description="the file's bytes, base64 (for large files prefer multipart)")


class MessageIn(BaseModel):
    """A customer message. At least one customer identifier and a non-empty body."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "customer": {"email": "ann@example.com", "name": "Ann"},
        "body": "My order has not arrived", "subject": "Order 1042"}]})
    customer: CustomerIn
    body: StrictStr = Field(..., max_length=100_000)
    subject: Text = Field(None, max_length=300)
    channel: Text = Field(None, max_length=32, description="where the message came from: api, email, sms, web…")
    conversation_id: Optional[Annotated[StrictInt, Field(ge=1, le=MAX_ID)]] = Field(
        None, description="continue this conversation (it must belong to the same customer)")
    idempotency_key: Text = Field(None, max_length=255,
                                  description="the same key again returns the first answer and adds nothing")
    attachments: Optional[list[AttachmentIn]] = Field(None, max_length=20, description="files, base64 in JSON")


class MessageAccepted(BaseModel):
    message_id: int
    conversation_id: int
    customer_id: int
    conversation_status: str
    conversation_url: Optional[str] = Field(description=(
        "the customer's own page: for a new conversation, or for a verified customer; otherwise null"))
    link_sent: bool = Field(description="true when the link was mailed to the customer's own address instead")


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class CustomerOut(BaseModel):
    id: int
    name: str
    email: Optional[str]
    phone: Optional[str]
    external_id: Optional[str]


class AgentRef(BaseModel):
    id: int
    name: str


class Author(BaseModel):
    type: Literal["customer", "agent", "bot"]
    name: str


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str = Field(description="sniffed from the file's bytes")
    size: int
    sha256: str
    url: str = Field(description="GET it with your bearer token (scope read)")


class DeliveryOut(BaseModel):
    channel: str
    status: Literal["queued", "sending", "sent", "delivered", "failed"]
    error: str = Field("", description="the channel's reason, when it failed or is being retried")


class MessageOut(BaseModel):
    id: int
    direction: Literal["in", "out"]
    kind: Literal["reply", "note"] = "reply"
    body: str
    channel: str
    created_at: datetime
    author: Author
    attachments: list[AttachmentOut] = Field(default_factory=list)
    delivery: Optional[DeliveryOut] = Field(None, description="for the team's public replies: how it left")
    choices: Optional[list[str]] = Field(None, description="a reply's answers the customer can tap")
    choice: Optional[str] = Field(None, description="a customer message that picked one of those choices")
    payment_request_id: Optional[int] = Field(None, description="a payment request's card "
                                                                "(GET /api/v1/conversations/{id}/payment-requests)")
    location: Optional[dict] = Field(None, description="a shared location: latitude, longitude, title")
    contact: Optional[dict] = Field(None, description="a shared contact: name, phone")


class BreachOut(BaseModel):
    target: Literal["first_response", "next_response", "resolution"]
    due_at: datetime
    recorded_at: datetime


class SlaOut(BaseModel):
    """Response-time targets: when the next reply and the resolution are due (null while the
    clock is stopped: pending, snoozed or resolved), and every target missed so far."""

    response_target: Optional[Literal["first_response", "next_response"]]
    response_due_at: Optional[datetime]
    resolution_due_at: Optional[datetime]
    overdue: bool
    at_risk: bool
    breaches: list[BreachOut] = Field(default_factory=list, description="only on a single conversation")


class ConversationOut(BaseModel):
    id: int
    status: str = Field(description="open, pending, snoozed or resolved; spam for a conversation in Spam")
    spam: bool = Field(False, description="in Spam (marked, a blocked sender's, or flagged by its mail server): "
                                          "out of the inbox, never answered automatically")
    priority: str
    subject: str
    channel: str
    customer: CustomerOut
    assignee: Optional[AgentRef]
    team: Optional[str] = Field(None, description="the team whose queue it is in (GET /api/v1/teams), if any")
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    waiting_since: Optional[datetime]
    first_reply_at: Optional[datetime]
    last_message_at: Optional[datetime]
    snoozed_until: Optional[datetime]
    resolved_at: Optional[datetime]
    conversation_url: str
    last_message_preview: str
    sla: SlaOut
    merged_into: Optional[int] = Field(None, description="set when an agent merged this conversation into "
                                                         "another: its messages are there now")


class ConversationWithMessages(ConversationOut):
    messages: list[MessageOut]
    reply_options: list[str] = Field(default_factory=list, description="channels a reply can leave by (`via`), "
                                     "the default first: email, sms, whatsapp, telegram, web, api")


class ConversationList(BaseModel):
    conversations: list[ConversationOut]
    next_cursor: Optional[int] = Field(None, description="pass as `cursor` to get the next page")


def customer_out(profile: CustomerProfile) -> CustomerOut:
    return CustomerOut(id=stored_id(profile.customer), name=profile.customer.name,
                       email=profile.first(EMAIL), phone=profile.first(PHONE),
                       external_id=profile.first(EXTERNAL_ID))


def sla_out(conversation: Conversation, now: datetime, breaches: list | None = None) -> SlaOut:
    due = SlaRules.due_of(conversation, now)
    return SlaOut(response_target=conversation.response_target if conversation.response_due_at else None,
                  response_due_at=conversation.response_due_at, resolution_due_at=conversation.resolution_due_at,
                  overdue=bool(due and due.overdue), at_risk=bool(due and due.at_risk),
                  breaches=[BreachOut(target=b.target, due_at=b.due_at, recorded_at=b.recorded_at)
                            for b in breaches or []])


def conversation_out(conversation: Conversation, profile: CustomerProfile, tags: list[str],
                     assignee: AgentRef | None, base_url: str, now: datetime, breaches: list | None = None,
                     preview_is_public: bool = True, team: str | None = None) -> dict:
    """`preview_is_public`: False when the last message is an internal note, whose words stay inside.
    Built from a dict: the status and priority are checked against their lists as it is validated."""
    return ConversationOut.model_validate(dict(
        id=stored_id(conversation), status=conversation.status, spam=conversation.status == SPAM,
        priority=conversation.priority,
        subject=conversation.subject, channel=conversation.channel, customer=customer_out(profile),
        assignee=assignee, team=team, tags=tags, created_at=conversation.created_at, updated_at=conversation.updated_at,
        waiting_since=conversation.waiting_since, first_reply_at=conversation.first_reply_at,
        last_message_at=conversation.last_message_at, snoozed_until=conversation.snoozed_until,
        resolved_at=conversation.resolved_at,
        merged_into=conversation.merged_into_id,
        conversation_url=conversation_link(base_url, conversation.public_token),
        last_message_preview=conversation.last_message_preview if preview_is_public else "",
        sla=sla_out(conversation, now, breaches),
    )).model_dump(mode="json")


def messages_out(detail: ConversationDetail) -> list[dict]:
    """Replies and notes; the thread's system events ("Resolved by Ann") are for people, and are
    not messages in the API's sense (`kind` is reply or note). Built from dicts: direction, kind
    and channel are checked against their lists as each is validated."""
    out = []
    for m in detail.messages:
        if m.kind not in ("reply", "note"):
            continue
        kind = "customer" if m.direction == IN else "bot" if m.author_token_id else "agent"
        message_id = stored_id(m)
        delivery = detail.deliveries.get(message_id)
        out.append(MessageOut.model_validate(dict(
            id=message_id, direction=m.direction, kind=m.kind, body=m.body, channel=m.channel,
            created_at=m.created_at, author={"type": kind, "name": detail.author_name(m)},
            attachments=[{"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size,
                          "sha256": a.sha256, "url": f"/api/v1/attachments/{a.id}"}
                         for a in detail.attachments.get(message_id, [])],
            delivery={"channel": delivery.channel, "status": delivery.status, "error": delivery.error}
            if delivery else None, **rich_fields(m.meta))).model_dump(mode="json"))
    return out


def conversation_detail_out(detail: ConversationDetail, base_url: str, now: datetime, breaches: list,
                            teams: dict[int, str] | None = None) -> dict:
    c = detail.conversation
    assignee = AgentRef(id=stored_id(detail.assignee), name=detail.assignee.name) if detail.assignee else None
    public = c.last_message_id is None or any(m.id == c.last_message_id for m in detail.messages)
    team = (teams or {}).get(c.team_id) if c.team_id is not None else None
    data = conversation_out(c, detail.customer, detail.tags, assignee, base_url, now, breaches, public, team)
    data["messages"] = messages_out(detail)
    return data


class ReplyIn(BaseModel):
    """A public reply from a bot (or an integration acting for the team)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "body": "Your order 1042 left our warehouse today.", "then": "pending"}]})
    body: StrictStr = Field("", max_length=100_000, description="may be empty when files are attached")
    then: Literal["pending", "open", "resolved"] = Field("pending", description="what the conversation becomes")
    idempotency_key: Text = Field(None, max_length=200, description="the same key again sends nothing twice")
    attachments: Optional[list[AttachmentIn]] = Field(None, max_length=20)
    via: Optional[Literal["email", "sms", "whatsapp", "telegram", "web", "api"]] = Field(
        None, description="the channel to answer by (one the customer has, see the conversation's `reply_options`); "
                          "default: where the customer last wrote from")
    choices: Optional[list[StrictStr]] = Field(
        None, max_length=10, description="up to 10 answers (each up to 40 characters) the customer can tap: buttons "
                                         "in the chat and on their page, Telegram's keyboard, a numbered list by "
                                         "SMS, WhatsApp and mail; their answer arrives with `choice`")


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"body": "Order 1042: paid, not shipped"}]})
    body: StrictStr = Field("", max_length=100_000)
    attachments: Optional[list[AttachmentIn]] = Field(None, max_length=20)


class WrittenOut(BaseModel):
    message_id: int
    conversation_status: str
    delivery: Optional[DeliveryOut] = None


class PatchIn(BaseModel):
    """Any of these; all change together or none does."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "assignee_email": "sam@bikeshop.example", "priority": "high", "tags": ["shipping"]}, {"team": "Workshop"}]})
    status: Optional[Literal["open", "pending", "snoozed", "resolved"]] = None
    team: Optional[Annotated[StrictStr, Field(max_length=60)]] = Field(
        None, description="a team's name (its queue; the assignee stays only if a member), or null for no team")
    snoozed_until: Optional[datetime] = Field(None, description="with status snoozed: when it wakes (with a time zone)")
    assignee_email: Optional[Annotated[StrictStr, Field(max_length=254)]] = Field(
        None, description="an active agent's email, or null to unassign")
    priority: Optional[Literal["urgent", "high", "normal", "low"]] = None
    tags: Optional[list[Annotated[StrictStr, Field(max_length=60)]]] = Field(None, max_length=30)


class HandoffIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "asks about a refund"}]})
    reason: StrictStr = Field("", max_length=300, description="shown in the thread: why people should take over")


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"into": 42}]})
    into: int = Field(ge=1, le=MAX_ID, description="the conversation to keep (the same customer's)")


class MessagesOut(BaseModel):
    conversation_id: int
    conversation_status: str
    messages: list[MessageOut]


class EventOut(BaseModel):
    id: str = Field(description="the same id as the webhook's X-Helpdesk-Event-Id")
    type: str
    created_at: datetime
    data: dict


class EventsOut(BaseModel):
    events: list[EventOut]
    next: str = Field(description="pass as `after` to get what comes next")


class TokenOut(BaseModel):
    id: int
    name: str
    scopes: list[str]
    first_responder: Optional[str] = Field(None, description="the channel whose new conversations it answers first")
