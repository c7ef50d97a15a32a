"""Tables, one module a concern; everything is importable from here. Business rules live in
services/, not here."""

from helpdesk.models.core import (
    OPEN, PENDING, SNOOZED, RESOLVED, STATUSES, SPAM, PRIORITIES, IN, OUT, REPLY, NOTE, EVENT, EMAIL, PHONE,
    EXTERNAL_ID, TELEGRAM, IDENTIFIER_KINDS, Agent, Customer, CustomerIdentifier, Conversation, Message,
    IdempotencyRecord, ApiToken, Tag, ConversationTag, CannedReply, Draft, ConversationRead, AuditEntry,
    AgentSession, BlockedSender, SlaPolicy, SlaBreach, AppSetting, JobStatus, Webhook, OutboxEvent, WebhookDelivery,
    CsatRating, Attachment, Delivery)
from helpdesk.models.teamwork import Macro, Mention, Team, TeamMember
from helpdesk.models.help import Article, ArticleImage, HelpCount, HelpSearch
from helpdesk.models.channels import Channel, ChannelRecord
from helpdesk.models.mail import Mailbox, MailRecord
from helpdesk.models.automation import AutomationEvent, AutomationRule, AutomationRun
from helpdesk.models.assist import AssistUse, CannedUse
from helpdesk.models.reports import ReportDay
from helpdesk.models.payments import PaymentRequest

__all__ = [
    "OPEN", "PENDING", "SNOOZED", "RESOLVED", "STATUSES", "SPAM", "PRIORITIES", "IN", "OUT", "REPLY", "NOTE",
    "EVENT", "EMAIL", "PHONE", "EXTERNAL_ID", "TELEGRAM", "IDENTIFIER_KINDS", "Agent", "Customer",
    "CustomerIdentifier", "Conversation", "Message", "IdempotencyRecord", "ApiToken", "Tag", "ConversationTag",
    "CannedReply", "Draft", "ConversationRead", "AuditEntry", "AgentSession", "BlockedSender", "SlaPolicy",
    "SlaBreach", "AppSetting", "JobStatus", "Webhook", "OutboxEvent", "WebhookDelivery", "CsatRating",
    "Attachment", "Delivery", "Channel", "ChannelRecord", "Mailbox", "MailRecord", "AutomationEvent",
    "AutomationRule", "AutomationRun", "AssistUse", "CannedUse", "ReportDay", "PaymentRequest", "Team", "TeamMember", "Mention", "Macro",
    "Article", "ArticleImage", "HelpCount", "HelpSearch",
]
