"""How often a session's live refreshes start (ui/workspace/pacing.py), on the loop's clock
moved by hand: a session that has been quiet shows the next message at once, however long its
last refresh took; refreshes that keep coming take a quarter of the session's time at most."""

from __future__ import annotations

import pytest

from helpdesk.ui.workspace.pacing import (MIN_REFRESH_INTERVAL, REFRESH_BURST_SECONDS, REFRESH_COST_SHARE,
                                          RefreshPacer)


def run(pacer: RefreshPacer, start: float, cost: float, count: int) -> tuple[float, float]:
    """`count` refreshes of `cost` seconds, each as soon as it may start (events never stop);
    the time they spent refreshing and the time it all took."""
    at, busy = start, 0.0
    for _ in range(count):
        ready = pacer.refreshed(at, at + cost)
        busy += cost
        at = ready
    return busy, at - start


def test_a_quiet_session_refreshes_again_at_once_after_one_slow_refresh():
    # Fifty agents: one message's refresh took this session half a second (the others shared the loop).
    pacer = RefreshPacer()
    assert pacer.refreshed(10.0, 10.5) == 10.5  # no quiet after it: the next message waits for nothing
    # The rule before (three times the last refresh's length of quiet) would have held it until 12.0.


def test_refreshes_that_keep_coming_take_a_quarter_of_the_time_after_the_first_burst():
    pacer = RefreshPacer()
    busy, took = run(pacer, 0.0, 0.2, 400)
    assert busy / took <= 1 / REFRESH_COST_SHARE + REFRESH_BURST_SECONDS / took + 1e-9
    steady_busy, steady_took = run(pacer, took, 0.2, 100)  # the credit is spent: only the share is left
    assert abs(steady_busy / steady_took - 1 / REFRESH_COST_SHARE) < 0.01


def test_quick_refreshes_start_no_more_often_than_the_minimum_interval():
    pacer = RefreshPacer()
    busy, took = run(pacer, 0.0, 0.01, 40)
    assert took >= 40 * MIN_REFRESH_INTERVAL - 1e-9
    assert pacer.credit == pytest.approx(REFRESH_BURST_SECONDS - 0.01)  # a quarter of 0.25 s grows back more than 0.01 s


def test_the_credit_grows_back_while_nothing_happens():
    pacer = RefreshPacer()
    run(pacer, 0.0, 0.3, 30)  # a long burst: spent
    assert pacer.credit <= 0
    ready = pacer.refreshed(100.0, 100.6)  # a quiet minute and a half later, a slow refresh again
    assert ready == 100.6
    assert pacer.refreshed(100.6, 101.2) > 101.2  # a second one straight after: the credit is spent, quiet is owed
