"""A customer's data on request (docs/privacy.md): everything held about them exported as one zip,
or erased for good; retention erases old resolved conversations the same way, and spam after
SPAM_KEEP_DAYS."""

from helpdesk.services.privacy.erase import ERASED_NAME, Erased, PrivacyService

__all__ = ["PrivacyService", "Erased", "ERASED_NAME"]
