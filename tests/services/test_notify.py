from helpdesk.host import notify
from helpdesk.events import Event
from helpdesk.events import SLA_BREACHED


def test_a_breach_becomes_a_desktop_notification(monkeypatch):
    sent = []
    # The OS notifier is the true external edge: record the command instead of running it.
    monkeypatch.setattr(notify, "notifier_command", lambda title, body: ["notify-send", title, body])
    monkeypatch.setattr(notify.subprocess, "Popen", lambda command, **kw: sent.append(command))
    on_event = notify.breach_notifier(services=None)
    on_event(Event("message.created", 3))
    on_event(Event(SLA_BREACHED, 7, {"target": "first_response"}))
    assert sent == [["notify-send", "Helpdesk: a customer is waiting too long",
                     "First response overdue in conversation #7"]]


def test_no_notifier_means_no_notification(monkeypatch):
    monkeypatch.setattr(notify, "notifier_command", lambda title, body: None)
    assert notify.notify("t", "b") is False
