"""Settings › Help center: the articles (drafts and published), the site's title and colour,
and what it did for the shop in the last 30 days (views, "helped" votes, conversations avoided,
and what customers searched for and did not find)."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk.services.help.articles import ArticleView
from helpdesk.ui.help_editor import edit_article
from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.widgets import icon_button, sync_value


class HelpCenterSection(Section):

    async def build(self) -> ft.Control:
        from helpdesk.ui.workspace.attachments import page_base  # the poster opens from this session's server

        services = self.ctx.services
        articles, site, report, base = await self.ctx.read(lambda: (
            services.articles.all(), services.articles.site(), services.help_counts.last_days(30),
            services.links.public_url() or services.links.base_url()))
        address = f"{base}/help"
        title = ft.TextField(on_change=sync_value, label="Title", value=site.title, width=260, max_length=60)
        colour = ft.TextField(on_change=sync_value, label="Colour", value=site.colour or "", width=160,
                              hint_text="#b5542f", tooltip="The shop's colour, as #rrggbb: buttons and links")

        async def save_site(_e: Any) -> None:
            await self.ctx.attempt(services.articles.set_site, title.value or "", colour.value or None,
                                   self.ctx.actor, success="Help center saved")

        rows = [self._row(a) for a in articles]
        unanswered = ", ".join(f"“{q}” ({n})" for q, n in report.unanswered[:8]) or "none"
        return ft.Column([
            *heading("Help center", f"Answers customers find before they write, at {address} (on the shop's "
                                    "Wi-Fi, and on the internet through the public address). Write them here, or "
                                    "save a good reply as one from a conversation (Save as article)."),
            ft.Row([ft.FilledButton("New article", icon=ft.Icons.ADD,
                                    on_click=lambda e: self.ctx.page.run_task(edit_article, self.ctx, None,
                                                                              self._saved)),
                    ft.TextButton("Open the help center", icon=ft.Icons.OPEN_IN_NEW, url=address),
                    ft.TextButton("Poster for the counter (QR code)", icon=ft.Icons.QR_CODE_2,
                                  url=page_base(self.ctx.page) + "/help/_poster.png")], wrap=True),
            *(rows or [ft.Text("No articles yet.", italic=True)]),
            ft.Text("Last 30 days", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.Text(f"{report.views} article views · {report.helped} said it helped · {report.deflected} "
                    f"conversations avoided (a visitor said an article answered them) · {report.searches} searches"),
            ft.Text(f"Searched for and not found: {unanswered}", selectable=True,
                    semantics_label=f"Searched for and not found: {unanswered}"),
            ft.Text("The site", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.Row([title, colour, ft.FilledButton("Save", on_click=save_site)], wrap=True),
        ], spacing=12, scroll=ft.ScrollMode.AUTO)

    def _row(self, a: ArticleView) -> ft.Control:
        state = "On the help center" if a.status == "published" else "Draft"
        return ft.Card(content=ft.Container(padding=12, content=ft.Row([
            ft.Column([ft.Text(a.title, weight=ft.FontWeight.BOLD),
                       ft.Text(f"{state} · {a.category_name} · {a.language}" + (f" · by {a.author}" if a.author else ""),
                               size=12, color=ft.Colors.ON_SURFACE_VARIANT)], spacing=2, expand=True),
            icon_button(ft.Icons.EDIT_OUTLINED, f"Edit {a.title}",
                        on_click=lambda e: self.ctx.page.run_task(edit_article, self.ctx, a, self._saved)),
            icon_button(ft.Icons.DELETE_OUTLINE, f"Delete {a.title}",
                        on_click=lambda e: self.ctx.page.run_task(self._delete, a))])))

    async def _saved(self, _article: ArticleView) -> None:
        await self.rerender()

    async def _delete(self, a: ArticleView) -> None:
        if await self.ctx.confirm(f"Delete “{a.title}”?", "Its page leaves the help center; links to it stop working.",
                                  "Delete", "Keep it") and \
                await self.ctx.attempt(self.ctx.services.articles.delete, a.id, self.ctx.actor,
                                       success=f"Deleted “{a.title}”") is not None:
            await self.rerender()
