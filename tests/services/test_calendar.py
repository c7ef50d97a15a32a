from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from helpdesk.services.calendar import BusinessCalendar

BERLIN = ZoneInfo("Europe/Berlin")


def at(*args, tz=BERLIN):
    return datetime(*args, tzinfo=tz).astimezone(timezone.utc)


def test_time_runs_only_in_office_hours_across_a_weekend():
    cal = BusinessCalendar.office("Europe/Berlin")
    friday_4pm = at(2026, 3, 6, 16, 0)
    # 4 business hours from Friday 16:00: 1 h on Friday, 3 h on Monday morning
    assert cal.add(friday_4pm, 4 * 3600) == at(2026, 3, 9, 12, 0)
    assert cal.seconds_between(friday_4pm, at(2026, 3, 9, 12, 0)) == 4 * 3600


def test_a_message_at_night_starts_counting_next_morning():
    cal = BusinessCalendar.office("Europe/Berlin")
    assert cal.add(at(2026, 3, 10, 23, 30), 30 * 60) == at(2026, 3, 11, 9, 30)
    assert cal.seconds_between(at(2026, 3, 10, 18, 0), at(2026, 3, 11, 8, 0)) == 0


def test_holidays_are_skipped():
    cal = BusinessCalendar.office("Europe/Berlin", holidays=frozenset({date(2026, 12, 25)}))
    assert cal.add(at(2026, 12, 24, 16, 0), 2 * 3600) == at(2026, 12, 28, 10, 0)  # 25th holiday, 26-27 weekend


def test_daylight_saving_changes_keep_local_office_hours():
    cal = BusinessCalendar.office("Europe/Berlin", days=(0, 1, 2, 3, 4, 5, 6))
    # Clocks go forward on Sunday 29 March 2026: the office still opens at 9:00 local time.
    assert cal.add(at(2026, 3, 28, 16, 0), 2 * 3600) == at(2026, 3, 29, 10, 0)
    assert at(2026, 3, 29, 10, 0).hour == 8  # 10:00 CEST is 08:00 UTC
    # Clocks go back on Sunday 25 October 2026.
    assert cal.add(at(2026, 10, 24, 16, 0), 2 * 3600) == at(2026, 10, 25, 10, 0)
    assert at(2026, 10, 25, 10, 0).hour == 9  # 10:00 CET is 09:00 UTC


def test_around_the_clock_is_plain_time():
    cal = BusinessCalendar.always()
    start = datetime(2026, 3, 6, 23, 0, tzinfo=timezone.utc)
    assert cal.add(start, 3600) == start + timedelta(hours=1)


def test_stored_form_round_trips():
    cal = BusinessCalendar(timezone="America/New_York", hours={0: ((time(8), time(12)), (time(13), time(17))),
                                                               5: ((time(10), time.max),)},
                           holidays=frozenset({date(2026, 7, 4)}))
    assert BusinessCalendar.from_json(cal.to_json()) == cal
