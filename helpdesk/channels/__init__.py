"""How customers reach the shop and replies reach them (docs/architecture.md, "Where things go"): one package
per channel kind. Each turns what arrives into what the services take (receive), delivers
what the outbox gives it (send), and says in one line whether it works (check). Channels
hold no business rules and write no SQL: they call services."""

from __future__ import annotations


class Channels:
    """The channel workers of the process that runs the jobs (one per database)."""

    def __init__(self, services) -> None:
        from helpdesk.channels.email import EmailChannel
        from helpdesk.channels.stripe_checkout import StripeCheckout
        from helpdesk.channels.texts import TextChannels

        self.email = EmailChannel(services)
        self.texts = TextChannels(services)
        self.stripe = StripeCheckout(services)

    def start(self) -> "Channels":
        self.email.start()
        self.texts.start()
        self.stripe.start()
        return self

    def stop(self) -> None:
        self.stripe.stop()
        self.texts.stop()
        self.email.stop()
