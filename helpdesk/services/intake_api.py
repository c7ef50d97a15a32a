"""A customer message from the intake API as one write: stored, and the conversation's link
mailed when the answer cannot show it (api/v1.py runs it in the writer's group commit)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from helpdesk.services.base import Actor
from helpdesk.services.conversations import IncomingMessage
from helpdesk.services.conversations.intake import CheckedMessage, IntakeResult

if TYPE_CHECKING:
    from helpdesk.services.container import Services
    from helpdesk.services.files import StagedFile


def vouches(actor: Actor, verified: bool) -> bool:
    """`verified: true` opens an existing thread only from a token that may read threads anyway
    (scope read) or is trusted to vouch (scope verify): a leaked form token (intake) reads nothing."""
    return verified and bool({"read", "verify"} & set(actor.scopes))


def receive_from_api(services: "Services", incoming: IncomingMessage | CheckedMessage, actor: Actor, verified: bool,
                     files: "Sequence[StagedFile]" = ()) -> tuple[IntakeResult, bool]:
    """The result, and whether the link was mailed. The link opens the whole thread: only to
    whoever started it, or a customer the site vouches for (`verified`); the others get it by
    mail instead, when they can."""
    result = services.conversations.receive(incoming, actor=actor, files=files)
    shown = result.created or vouches(actor, verified)
    mailed = not shown and not result.replayed and services.mail.mail_link(result.conversation_id,
                                                                          result.customer_id)
    return result, bool(mailed)
