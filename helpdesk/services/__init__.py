"""Business rules. Services know nothing of HTTP or Flet: they take the database, the clock and
the settings, and publish events after each commit. Importing one service loads that service
alone; `services/container.py` wires them all together for the composition root (`app.py`)."""
