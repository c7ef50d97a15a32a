"""Assist: the shop's own history answers first.

- words:    the words of a conversation worth looking for (no stop words), folded as the index folds them
- similar:  the most similar resolved conversations and the reply that solved each (full-text index only)
- canned:   canned replies ranked for a conversation, learning from the ones agents pick
- privacy:  masking emails, phone and card numbers before anything leaves the machine
- model:    an OpenAI-compatible chat API (llama.cpp, Ollama, LM Studio, or a cloud one), streamed
- service:  AssistService: the settings (off by default), drafts, summaries, hand-over notes, the log

Nothing is sent anywhere unless an admin names a model (Settings › Assist)."""
