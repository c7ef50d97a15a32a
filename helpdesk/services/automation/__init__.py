"""Automation rules: when something happens (a conversation is created, a customer writes, an
agent replies, the status changes, a target is at risk or missed, a conversation has waited N
hours), if the conditions hold, then the actions run (assign, prioritise, tag, reply, note,
snooze, resolve, a webhook, tell the agents).

- spec:       what a rule may say, checked; the export format
- record:     events written in the transaction of what happened (conversation services call it)
- facts:      what the conditions look at, read once per event; conditions.py matches them
- assign:     who is available, round-robin and least-busy
- actions:    doing each action inside the engine's write, with the loop guards
- engine:     the writer-thread pass over pending events, and the time scan
- service:    rules as admins manage them: add, change, order, enable, export/import, test, history
- ready_made: the four rules offered on first run (off)

Importing this package imports none of them: the conversation services import `record`."""
