"""Where the agent UI keeps things in the data folder."""

UPLOADS = "uploads"  # files agents attach, as the client uploads them, before they join the file store
