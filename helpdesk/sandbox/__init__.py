"""Code that handles untrusted input in a child process: it imports nothing of Helpdesk (a
child starts in a moment and holds little), and runs under a memory cap the parent sets, so a
hostile file costs at most the child (docs/security.md, "Budgets")."""
