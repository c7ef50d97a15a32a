"""The agent workspace, in parts: `controller` (state and actions, no Flet) and one view
per file (inbox list, search results, conversation header, thread, composer, customer
panel, dialogs), laid out by `shell`."""

from helpdesk.ui.workspace.shell import Workspace

__all__ = ["Workspace"]
