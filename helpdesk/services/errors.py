"""Errors services raise. Adapters map them to HTTP statuses or UI messages; the
message is always written for a person."""

from __future__ import annotations


class ServiceError(Exception):
    code = "error"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationFailed(ServiceError):
    code = "validation_failed"


class NotFound(ServiceError):
    code = "not_found"


class Conflict(ServiceError):
    code = "conflict"


class NewCustomerMessages(Conflict):
    """A reply was written before customer messages the agent has not seen."""

    code = "new_customer_messages"

    def __init__(self, count: int) -> None:
        noun = "message" if count == 1 else "messages"
        super().__init__(f"the customer sent {count} new {noun} since this reply was started")
        self.count = count


class Forbidden(ServiceError):
    """The actor's role (or token scope) does not allow this."""

    code = "forbidden"


class Unavailable(ServiceError):
    """The far end (a channel's phone, Twilio's file store) cannot be reached now: try again later (503)."""

    code = "unavailable"


class PayloadTooLarge(ServiceError):
    """A file, or a message's files together, over the limit (413)."""

    code = "payload_too_large"
