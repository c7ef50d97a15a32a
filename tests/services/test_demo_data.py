"""The demo shop reads as a real one: customers write when they are awake, and each company
sends its own VAT number (two seeds, so the checks see several such customers)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlmodel import select

from helpdesk.app import HelpdeskApp
from helpdesk.clock import ManualClock
from helpdesk.config import Settings
from helpdesk.models import Conversation, Message
from helpdesk.services.demo import fill_demo


@pytest.mark.parametrize("seed", [1, 5])
def test_customers_write_when_awake_and_each_company_has_its_own_vat_number(tmp_path, seed):
    app = HelpdeskApp(Settings(data_dir=tmp_path)).start()
    try:
        # A fixed day: the demo's two weeks end today, and which customers send a VAT number
        # depends on the day as well as the seed (on the system clock this failed on some days).
        fill_demo(app.db, app.settings, ManualClock(datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)), seed=seed)
        with app.db.read() as s:
            written = s.exec(select(Message.created_at).where(Message.direction == "in",
                                                              Message.kind == "reply")).all()
            vat = s.exec(select(Conversation.customer_id, Message.body).join(Message).where(
                Message.body.like("The VAT number is%"))).all()
    finally:
        app.close()
    # The busiest-hours grid had dark cells at 2 and 3 am: follow-ups were written at any hour.
    assert sum(1 for at in written if at.hour < 6) < 0.06 * len(written)
    # Two customers sent "The VAT number is DE123456789."
    assert len({body for _, body in vat}) == len({customer for customer, _ in vat}) >= 2
