"""The HTTP host: one ASGI app that dispatches to the API, the agent UI and the customer pages
(`dispatch`), the gate in front of what the internet may reach (`public_gate`), the Host header
check (`hosts`) and the app that answers while the rest still starts (`deferred`)."""
