"""The help center: articles grown from the shop's own answers (articles.py), their Markdown
made safe HTML (markdown.py), personal data masked in a draft saved from a conversation
(masking.py), and the counts its reports read (counts.py). The site that serves them is
api/help_site.py; `help export` writes it as files (services/help/export.py)."""
