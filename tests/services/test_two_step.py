"""Two-step sign-in and signed-in devices, through the auth service with a moved clock."""

from datetime import timedelta

import pyotp
import pytest
from sqlmodel import select

from helpdesk.models import AuditEntry
from helpdesk.services.auth import SecondStep, SignedIn, SignInFailed
from helpdesk.services.errors import Forbidden, ValidationFailed


def code_at(secret, clock, seconds=0):
    return pyotp.TOTP(secret).at(clock.now() + timedelta(seconds=seconds))


def enrol(services, actor, clock):
    started = services.two_step.begin(actor.id, actor)
    assert started.uri.startswith("otpauth://totp/Helpdesk:") and started.secret in started.uri
    codes = services.two_step.confirm(actor.id, code_at(started.secret, clock), actor)
    clock.advance(seconds=30)  # the set-up code is used up: sign-ins below use the next one
    return started.secret, codes


def audit_actions(services):
    with services.db.read() as s:
        return [(a.action, a.detail, a.address) for a in s.exec(select(AuditEntry).order_by(AuditEntry.id))]


def test_a_code_after_the_password_signs_in_once_and_never_twice(services, ann, clock):
    secret, codes = enrol(services, ann, clock)
    assert len(codes) == 10 and len(set(codes)) == 10
    step = services.auth.sign_in("ann@shop.example", "correct horse", client_ip="192.168.1.20")
    assert isinstance(step, SecondStep) and not step.enrol  # the password alone is not a session
    code = code_at(secret, clock)
    signed = services.auth.finish(step.ticket, code)
    assert isinstance(signed, SignedIn) and services.auth.resume(signed.token).id == ann.id
    again = services.auth.sign_in("ann@shop.example", "correct horse", client_ip="192.168.1.20")
    with pytest.raises(SignInFailed, match="code is not right"):  # the same code, still inside its 30 s: refused
        services.auth.finish(again.ticket, code)
    rows = audit_actions(services)
    assert [(a, addr) for a, _, addr in rows[-2:]] == [("agent.signed_in", "192.168.1.20"),
                                                        ("agent.sign_in_failed", "192.168.1.20")]
    assert rows[-2][1]["second_step"] == "code" and rows[-1][1]["why"] == "code"


def test_a_recovery_code_works_once_and_wrong_codes_count_towards_the_pause(services, ann, clock):
    _, codes = enrol(services, ann, clock)
    step = services.auth.sign_in("ann@shop.example", "correct horse", client_ip="192.168.1.30")
    signed = services.auth.finish(step.ticket, codes[3].lower())  # typed in lower case: still right
    assert services.auth.resume(signed.token).id == ann.id
    step = services.auth.sign_in("ann@shop.example", "correct horse", client_ip="192.168.1.30")
    with pytest.raises(SignInFailed):
        services.auth.finish(step.ticket, codes[3])
    delays = []
    for _ in range(3):
        with pytest.raises(SignInFailed) as wrong:
            services.auth.finish(step.ticket, "000000")
        delays.append(wrong.value.delay_seconds)
    assert delays == sorted(delays) and delays[-1] > delays[0]  # each wrong code waits longer
    with pytest.raises(SignInFailed, match="not right"):  # the fifth wrong code
        services.auth.finish(step.ticket, "000000")
    with pytest.raises(SignInFailed, match="took too long|enter your email"):  # then the ticket is gone
        services.auth.finish(step.ticket, "000000")


def test_the_owner_can_require_it_from_outside_the_shop_only(services, ann, bob, clock):
    services.two_step.set_policy(ann, two_step="outside_lan")
    assert isinstance(services.auth.sign_in("bob@shop.example", "battery staple", client_ip="192.168.1.5"), SignedIn)
    with pytest.raises(SignInFailed, match="set it up .* on the shop's network"):
        services.auth.sign_in("bob@shop.example", "battery staple", client_ip="81.2.69.160")
    services.two_step.set_policy(ann, two_step="everyone")
    step = services.auth.sign_in("bob@shop.example", "battery staple", client_ip="192.168.1.5")
    assert isinstance(step, SecondStep) and step.enrol  # on the shop's network: set it up now
    started = services.auth.enrolment(step.ticket)
    with pytest.raises(ValidationFailed):
        services.auth.finish_enrolment(step.ticket, "123456")
    signed, codes = services.auth.finish_enrolment(step.ticket, code_at(started.secret, clock))
    assert services.auth.resume(signed.token).id == bob.id and len(codes) == 10
    with pytest.raises(Forbidden):  # required for everyone: Bob cannot switch it off
        services.two_step.turn_off(bob.id, code_at(started.secret, clock, 30), bob)


def test_a_reset_ends_every_session_and_an_agent_sees_and_ends_other_devices(services, ann, bob, clock):
    phone = services.auth.sign_in("bob@shop.example", "battery staple", remember=True, client_ip="192.168.1.9",
                                  client="192.168.1.9 Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile")
    clock.advance(minutes=5)
    desk = services.auth.sign_in("bob@shop.example", "battery staple", remember=True, from_window=True)
    devices = services.auth.devices(bob.id, desk.token)
    assert [(d.what, d.this_device) for d in devices] == [("Desktop window", True), ("Chrome on Android", False)]
    assert services.auth.sign_out_others(desk.token, bob) == 1
    assert services.auth.resume(phone.token) is None and services.auth.resume(desk.token).id == bob.id
    secret, _ = enrol(services, bob, clock)
    with pytest.raises(Forbidden):
        services.two_step.reset(ann.id, bob)  # an agent cannot reset someone else's
    services.two_step.reset(bob.id, ann)
    assert services.auth.resume(desk.token) is None  # a reset ends every session
    assert isinstance(services.auth.sign_in("bob@shop.example", "battery staple"), SignedIn)
    assert "agent.two_step_reset" in [a for a, _, _ in audit_actions(services)]


def test_a_password_change_ends_the_other_sessions_and_idle_devices_end(services, ann, bob, clock):
    one = services.auth.sign_in("bob@shop.example", "battery staple", remember=True)
    two = services.auth.sign_in("bob@shop.example", "battery staple", remember=True)
    services.agents.reset_password(bob.id, "a new password", bob, keep_token=two.token)
    assert services.auth.resume(one.token) is None and services.auth.resume(two.token) is not None
    services.two_step.set_policy(ann, idle_days=7)
    clock.advance(days=6)
    services.auth.seen(two.token)  # used on day 6: the week starts again
    clock.advance(days=6)
    assert services.auth.resume(two.token) is not None
    clock.advance(days=2)
    assert services.auth.resume(two.token) is None
    assert services.auth.purge_expired() == 1
