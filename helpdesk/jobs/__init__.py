"""Scheduled jobs (APScheduler) inside the server process. Thin: every job calls a service."""
