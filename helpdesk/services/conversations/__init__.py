"""Conversations: the rules of asynchronous threads (docs/architecture.md), one concern a module.

- intake:   customer messages arrive and find their customer and conversation
- messages: the team's public replies (out through the outbox), notes, read marks
- status:   the state machine every status change goes through
- triage:   assignment, priority and tags
- handoff:  bots first, then people
- csat:     the customer's rating after a resolution
- spam:     Mark as spam, Not spam, and what a blocked sender's messages do
- queries:  reading conversations and lists

`ConversationService` is the one facade the rest of the code uses."""

from __future__ import annotations

from helpdesk.services.conversations.common import (MAX_BODY, ConversationDetail, Written, new_public_token,
                                                    public_token_digest)
from helpdesk.services.conversations.csat import CsatMixin
from helpdesk.services.conversations.handoff import HandoffMixin
from helpdesk.services.conversations.intake import IncomingMessage, IntakeMixin, IntakeResult, validate_incoming
from helpdesk.services.conversations.merge import MergeMixin
from helpdesk.services.conversations.messages import MessagesMixin
from helpdesk.services.conversations.queries import ConversationFilter, ConversationPage, QueriesMixin, tag_names
from helpdesk.services.conversations.spam import SPAM_KEEP_DAYS, SpamMixin
from helpdesk.services.conversations.status import InvalidTransition, StatusMixin
from helpdesk.services.base import UNSET
from helpdesk.services.conversations.triage import TriageMixin, TriageResult


class ConversationService(IntakeMixin, MessagesMixin, StatusMixin, TriageMixin, HandoffMixin, CsatMixin, MergeMixin,
                          SpamMixin, QueriesMixin):
    """Every conversation operation, over one database, clock, settings and SLA service."""


__all__ = ["ConversationService", "IncomingMessage", "IntakeResult", "ConversationFilter", "ConversationDetail",
           "ConversationPage", "InvalidTransition", "TriageResult", "UNSET", "MAX_BODY", "tag_names",
           "new_public_token", "public_token_digest", "validate_incoming", "Written", "SPAM_KEEP_DAYS"]
