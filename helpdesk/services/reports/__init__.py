"""Reports: how the service is doing over a period, overall and per agent.

Figures (the ones the asynchronous-messaging literature argues with): first response
time, next response time and resolution time (median, p90; first response also as the
share within target), conversations created and resolved per day, turns per
conversation, re-contact rate (the customer back within 7 days of a resolution), CSAT,
busiest hours (weekday × hour of customer messages), backlog and overdue now. Times are
counted in business hours when the conversation's priority policy says so. Days and hours
are in the business calendar's time zone.

collect.py computes each day's facts from the database; rollups.py keeps them (so any period
adds up stored days); figures.py is what they are made of; service.py puts a period together."""

from helpdesk.services.reports.figures import TimeFigure, percentile  # noqa: F401
from helpdesk.services.reports.service import (MAX_DAYS, AgentFigures, ReportService, Summary,  # noqa: F401
                                               check_period)
