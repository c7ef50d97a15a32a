"""Every table as a typed SQLAlchemy `Table`, one name each (plural, as the table holds many):
what Core statements (the hot paths, bulk updates, reports) are written against. SQLModel
sets `__table__` on each model only at run time, so it is read here once, typed."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table
from sqlmodel import SQLModel

from helpdesk.models import (Agent, AgentSession, ApiToken, AppSetting, Article, ArticleImage, AssistUse, Attachment, AuditEntry,
                             AutomationEvent, AutomationRule, AutomationRun, BlockedSender, CannedReply, CannedUse,
                             Channel, ChannelRecord, Conversation, ConversationRead, ConversationTag, CsatRating,
                             Customer, CustomerIdentifier, Delivery, Draft, IdempotencyRecord, JobStatus, MailRecord,
                             Mailbox, Message, OutboxEvent, PaymentRequest, ReportDay, SlaBreach, SlaPolicy, Tag,
                             Macro, Mention, Team, TeamMember, Webhook, WebhookDelivery, HelpCount, HelpSearch)


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, getattr(model, "__table__"))  # noqa: B009 (set at run time)


AGENTS = _table(Agent)
AGENT_SESSIONS = _table(AgentSession)
API_TOKENS = _table(ApiToken)
APP_SETTINGS = _table(AppSetting)
ARTICLES = _table(Article)
ARTICLE_IMAGES = _table(ArticleImage)
ASSIST_USES = _table(AssistUse)
ATTACHMENTS = _table(Attachment)
AUDIT_ENTRIES = _table(AuditEntry)
AUTOMATION_EVENTS = _table(AutomationEvent)
AUTOMATION_RULES = _table(AutomationRule)
AUTOMATION_RUNS = _table(AutomationRun)
BLOCKED_SENDERS = _table(BlockedSender)
CANNED_REPLIES = _table(CannedReply)
CANNED_USES = _table(CannedUse)
CHANNELS = _table(Channel)
CHANNEL_RECORDS = _table(ChannelRecord)
CONVERSATIONS = _table(Conversation)
CONVERSATION_READS = _table(ConversationRead)
CONVERSATION_TAGS = _table(ConversationTag)
CSAT_RATINGS = _table(CsatRating)
CUSTOMERS = _table(Customer)
CUSTOMER_IDENTIFIERS = _table(CustomerIdentifier)
DELIVERIES = _table(Delivery)
DRAFTS = _table(Draft)
HELP_COUNTS = _table(HelpCount)
HELP_SEARCHES = _table(HelpSearch)
IDEMPOTENCY_RECORDS = _table(IdempotencyRecord)
JOB_STATUSES = _table(JobStatus)
MAILBOXES = _table(Mailbox)
MACROS = _table(Macro)
MAIL_RECORDS = _table(MailRecord)
MENTIONS = _table(Mention)
MESSAGES = _table(Message)
OUTBOX_EVENTS = _table(OutboxEvent)
PAYMENT_REQUESTS = _table(PaymentRequest)
REPORT_DAYS = _table(ReportDay)
SLA_BREACHES = _table(SlaBreach)
SLA_POLICIES = _table(SlaPolicy)
TAGS = _table(Tag)
TEAMS = _table(Team)
TEAM_MEMBERS = _table(TeamMember)
WEBHOOKS = _table(Webhook)
WEBHOOK_DELIVERIES = _table(WebhookDelivery)
