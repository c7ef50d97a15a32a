"""The inbox's views: their labels (with counts beside them) and icons, in the rail's order."""

from __future__ import annotations

import flet as ft

VIEW_LABELS = {"mine": "Mine", "unassigned": "Unassigned", "all": "All", "overdue": "Overdue", "at_risk": "At risk",
               "bot": "Bot", "spam": "Spam", "mentions": "Mentions"}
VIEW_ICONS = {"mine": (ft.Icons.PERSON_OUTLINE, ft.Icons.PERSON), "unassigned": (ft.Icons.INBOX_OUTLINED, ft.Icons.INBOX),
              "all": (ft.Icons.ALL_INBOX_OUTLINED, ft.Icons.ALL_INBOX), "overdue": (ft.Icons.ALARM, ft.Icons.ALARM_ON),
              "at_risk": (ft.Icons.HOURGLASS_BOTTOM, ft.Icons.HOURGLASS_FULL),
              "bot": (ft.Icons.SMART_TOY_OUTLINED, ft.Icons.SMART_TOY),
              "spam": (ft.Icons.REPORT_OUTLINED, ft.Icons.REPORT),
              "mentions": (ft.Icons.ALTERNATE_EMAIL, ft.Icons.ALTERNATE_EMAIL)}
