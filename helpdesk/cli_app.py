"""What every `python main.py <thing> <action>` command does around its work: open the app
on the data folder, turn a refusal from the services (a bad field, a missing name, a
password that is gone) into one line for the person at the terminal, and close the app."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator

from helpdesk.config import ConfigError, Settings


@contextmanager
def command_app(settings: Settings, open_app: Callable[[Settings], Any]) -> Iterator[Any]:
    from helpdesk.services.errors import ServiceError
    from helpdesk.services.mail.secrets import SecretMissing

    app = open_app(settings)
    try:
        yield app
    except ServiceError as exc:
        details = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
        raise ConfigError(f"{exc.message}{' (' + details + ')' if details else ''}") from None
    except SecretMissing as exc:
        raise ConfigError(str(exc)) from None
    finally:
        app.close()
