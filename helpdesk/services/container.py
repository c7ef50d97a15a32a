"""Every service wired to one database, clock and settings: what the composition root
(`app.py`) builds once and hands to the API, the UI, the jobs and the channels."""

from __future__ import annotations

from helpdesk.clock import Clock
from helpdesk.config import Settings
from helpdesk.db import Database
from helpdesk.services.agents import AgentService
from helpdesk.services.assist.service import AssistService
from helpdesk.services.auth import AuthService
from helpdesk.services.auditlog import AuditLogService
from helpdesk.services.automation.service import AutomationService
from helpdesk.services.base import Actor
from helpdesk.services.blocklist import Blocklist
from helpdesk.services.canned import CannedReplyService
from helpdesk.services.chat import ChatService
from helpdesk.services.conversations import ConversationService
from helpdesk.services.customers import CustomerService
from helpdesk.services.deliveries import DeliveryService
from helpdesk.services.downloads import Downloads
from helpdesk.services.drafts import DraftService
from helpdesk.services.files import FileService
from helpdesk.services.host_facts import HostFacts
from helpdesk.services.inbox import InboxService
from helpdesk.services.jobs import JobsService
from helpdesk.services.links import Links
from helpdesk.services.macros import MacroService
from helpdesk.services.mentions import MentionService
from helpdesk.services.mail import MailService
from helpdesk.services.messaging import MessagingService
from helpdesk.services.outbox import OutboxService
from helpdesk.services.payments.service import PaymentService
from helpdesk.services.presence import PresenceService
from helpdesk.services.privacy import PrivacyService
from helpdesk.services.promise import PromiseService
from helpdesk.services.ratelimit import RateLimits
from helpdesk.services.release import ReleaseService
from helpdesk.services.reports.service import ReportService
from helpdesk.services.search import SearchService
from helpdesk.services.sla import SlaService
from helpdesk.services.help.articles import ArticleService
from helpdesk.services.help.counts import HelpCounts
from helpdesk.services.teams import TeamService
from helpdesk.services.tokens import TokenService
from helpdesk.services.twostep import TwoStepService


class Services:
    """Every service, wired to one database, clock and settings."""

    def __init__(self, db: Database, clock: Clock, settings: Settings, host: HostFacts) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.events = db.bus
        args = (db, clock, settings)
        self.links = Links(settings, host.lan_urls)
        self.agents = AgentService(*args)
        self.mentions = MentionService(*args)
        self.tokens = TokenService(*args)
        self.customers = CustomerService(*args)
        self.sla = SlaService(*args)
        self.teams = TeamService(*args, sla=self.sla)
        self.files = FileService(*args)
        self.deliveries = DeliveryService(*args)
        self.blocklist = Blocklist(*args)
        self.conversations = ConversationService(*args, sla=self.sla, files=self.files, deliveries=self.deliveries,
                                                 links=self.links, blocklist=self.blocklist)
        self.mail = MailService(*args, conversations=self.conversations, files=self.files,
                                deliveries=self.deliveries, links=self.links)
        self.messaging = MessagingService(*args, conversations=self.conversations, files=self.files,
                                          deliveries=self.deliveries, secret_box=lambda: self.mail.mailboxes.secrets,
                                          links=self.links)
        self.drafts = DraftService(*args)
        self.auditlog = AuditLogService(*args)
        self.downloads = Downloads(settings.data_dir, clock.now)
        self.privacy = PrivacyService(*args, files=self.files)
        self.canned = CannedReplyService(*args, links=self.links)
        self.macros = MacroService(*args, conversations=self.conversations, canned=self.canned, teams=self.teams)
        self.search = SearchService(*args)
        self.inbox = InboxService(*args)
        self.outbox = OutboxService(*args)
        self.jobs = JobsService(*args)
        self.reports = ReportService(db, clock, settings, self.sla)
        self.release = ReleaseService(*args, host=host)
        self.promise = PromiseService(*args, sla=self.sla, links=self.links)
        self.articles = ArticleService(*args, links=self.links)
        self.help_counts = HelpCounts(*args, zone=self.promise.zone)
        self.chat = ChatService(*args, conversations=self.conversations, channels=self.messaging.channels,
                                links=self.links, files=self.files, promise=self.promise)
        self.limits = RateLimits(clock, settings.intake_per_minute, settings.chat_per_address_per_minute)
        self.two_step = TwoStepService(*args)
        self.auth = AuthService(db, clock, settings, self.agents, self.limits.sign_in, self.two_step, host.window)
        self.presence = PresenceService(db.bus, clock)
        self.assist = AssistService(*args, conversations=self.conversations, canned=self.canned,
                                    promise=self.promise, secret_box=lambda: self.mail.mailboxes.secrets)
        self.payments = PaymentService(*args, conversations=self.conversations, links=self.links,
                                       promise=self.promise, secret_box=lambda: self.mail.mailboxes.secrets)
        # A payment card's words in texts and mail, and its card in the chat.
        self.messaging.payments = self.mail.outgoing.payments = self.chat.payments = self.payments
        self.automation = AutomationService(*args, conversations=self.conversations, promise=self.promise,
                                            links=self.links, articles=self.articles)


__all__ = ["Services", "Actor"]
