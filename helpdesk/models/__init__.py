"""Tables, one module a concern; everything is importable from here. Business rules live in
services/, not here."""

from helpdesk.models.core import (  # noqa: F401
    OPEN, PENDING, SNOOZED, RESOLVED, STATUSES, SPAM, PRIORITIES, IN, OUT, REPLY, NOTE, EVENT, EMAIL, PHONE,
    EXTERNAL_ID, TELEGRAM, IDENTIFIER_KINDS, Agent, Customer, CustomerIdentifier, Conversation, Message,
    IdempotencyRecord, ApiToken, Tag, ConversationTag, CannedReply, Draft, ConversationRead, AuditEntry,
    AgentSession, BlockedSender, SlaPolicy, SlaBreach, AppSetting, JobStatus, Webhook, OutboxEvent, WebhookDelivery,
    CsatRating, Attachment, Delivery)
from helpdesk.models.channels import Channel, ChannelRecord  # noqa: F401
from helpdesk.models.mail import Mailbox, MailRecord  # noqa: F401
from helpdesk.models.automation import AutomationEvent, AutomationRule, AutomationRun  # noqa: F401
from helpdesk.models.assist import AssistUse, CannedUse  # noqa: F401
from helpdesk.models.reports import ReportDay  # noqa: F401
from helpdesk.models.payments import PaymentRequest  # noqa: F401
