"""Helpdesk: a self-hosted, offline-capable shared inbox for small businesses."""

# The one place the version is defined: pyproject.toml, --version, /api/v1/health
# and the UI all read it from here.
__version__ = "0.2.0"
