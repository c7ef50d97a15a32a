"""The article editor, one dialog for Settings › Help center and the workspace's "Save as
article": title, category, language, the Markdown text (with what was masked said on top),
and whether it is on the help center yet. "Add a picture…" stores it in the file store and puts
its Markdown at the end of the text."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

import flet as ft

from helpdesk.services.help.articles import ArticleView
from helpdesk.ui.app_paths import UPLOADS
from helpdesk.ui.context import UiContext
from helpdesk.ui.uploads import PendingFiles
from helpdesk.ui.widgets import close_dialog, sync_value


async def edit_article(ctx: UiContext, article: ArticleView | None, saved: Callable[[ArticleView], Awaitable[None]],
                       masked: int = 0) -> None:
    title = ft.TextField(on_change=sync_value, label="Title", value=article.title if article else "", autofocus=True,
                         max_length=200)
    category = ft.TextField(on_change=sync_value, label="Category", value=article.category if article else "",
                            hint_text="Repairs (empty: General)", width=260, max_length=60)
    language = ft.TextField(on_change=sync_value, label="Language", value=article.language if article else "en",
                            width=120, max_length=16, tooltip="A language code: en, de, fr …")
    body = ft.TextField(on_change=sync_value, label="Text (Markdown: **bold**, ## a heading, - a list, [a link](https://…))",
                        value=article.body if article else "", multiline=True, min_lines=10, max_lines=18)
    published = ft.Switch(label="On the help center", value=bool(article and article.status == "published"))
    note = [ft.Container(ft.Text(f"{masked} pieces of personal data were masked: [name], [phone], [email], "
                                 "[order number], [address]. Read it through and write it for everyone before "
                                 "you publish.", size=13), bgcolor=ft.Colors.SECONDARY_CONTAINER, padding=10,
                         border_radius=8)] if masked else []

    async def pictures_uploaded() -> None:
        for staged in pictures.take():
            markdown = await ctx.attempt(ctx.services.articles.add_image, ctx.actor, staged)
            if markdown is None:  # refused (not a picture, too large): said in a toast, nothing kept
                await ctx.read(ctx.services.files.discard, [staged])
                continue
            ctx.services.files.landed([staged])
            body.value = ((body.value or "").rstrip() + "\n\n" + markdown).lstrip()
            ctx.page.update(body)

    pictures = PendingFiles(ctx.page, ctx.services, ctx.settings.data_dir / UPLOADS,
                            lambda: ctx.page.run_task(pictures_uploaded), ctx.toast, ctx.read)

    async def save(_e: Any) -> None:
        articles = ctx.services.articles
        status = "published" if published.value else "draft"
        if article is None:
            done = await ctx.attempt(articles.create, ctx.actor, title.value or "", body.value or "",
                                     category.value or "", language.value or "", status)
        else:
            done = await ctx.attempt(articles.change, article.id, ctx.actor, title=title.value or "",
                                     body=body.value or "", category=category.value or "",
                                     language=language.value or "", status=status)
        if done is not None:
            close_dialog(ctx.page)
            pictures.close()
            await saved(done)
            ctx.toast(f"“{done.title}” is on the help center" if done.status == "published"
                      else f"“{done.title}” saved as a draft")

    ctx.page.show_dialog(ft.AlertDialog(
        title=ft.Text("Edit article" if article else "New article"),
        content=ft.Column([*note, title, ft.Row([category, language], wrap=True), body,
                           ft.Row([ft.OutlinedButton("Add a picture…", icon=ft.Icons.IMAGE_OUTLINED,
                                                     tooltip="PNG, JPEG, WebP or GIF, up to 5 MB",
                                                     on_click=lambda e: ctx.page.run_task(pictures.pick)),
                                   published], wrap=True, spacing=16)], tight=True,
                          width=640, scroll=ft.ScrollMode.AUTO),
        actions=[ft.TextButton("Cancel", on_click=lambda e: (close_dialog(ctx.page), pictures.close())),
                 ft.FilledButton("Save", on_click=save)]))
    ctx.page.update()
