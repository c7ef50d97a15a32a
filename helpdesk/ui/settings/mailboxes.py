"""Settings › Mailboxes: the shop's mailboxes (add, edit, pause, remove, test the connection),
how each is doing (last fetch, last error, replies waiting), which customers also hear back
by mail, and the mails that could not be read."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk.channels.email import check, check_urls
from helpdesk.services.mail.mailboxes import NOTIFIABLE, MailboxInput, MailboxView
from helpdesk.ui import format as fmt
from helpdesk.ui.settings.common import Section, heading
from helpdesk.ui.widgets import close_dialog, sync_value

URL_HELP = ("imaps://user:password@imap.example.com:993 · imap+starttls://…:143 · smtps://…:465 · "
            "smtp+starttls://…:587 (an @ in the user name is written %40)")


class MailboxesSection(Section):

    async def build(self) -> ft.Control:
        mail = self.ctx.services.mail
        views, notify, unreadable = await self.ctx.read(
            lambda: (mail.mailboxes.views(), mail.mailboxes.notify_channels(), mail.intake.unreadable_mails(10)))
        now = self.ctx.services.clock.now()
        cards = [self._card(v, now) for v in views]
        boxes = {c: ft.Checkbox(label=words, value=c in notify) for c, words in NOTIFIABLE.items()
                 if c in ("api", "web", "chat")}

        async def save_notify(e: Any) -> None:
            await self.ctx.attempt(mail.mailboxes.set_notify_channels, [c for c, b in boxes.items() if b.value],
                                   self.ctx.actor, success="Saved")

        controls: list[ft.Control] = [
            *heading("Mailboxes", "Mail to these addresses becomes conversations; replies go out from them as mail "
                                  "that threads under the customer's. While the internet is down, replies wait and "
                                  "leave when it is back."),
            *cards,
            ft.Row([ft.FilledButton("Add a mailbox", icon=ft.Icons.ADD,
                                    on_click=lambda e: self.ctx.page.run_task(self._edit, None))]),
            ft.Divider(),
            ft.Text("Customers who wrote another way", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.Text("When they left an email address, replies also reach them by mail, with the link to their "
                    "conversation. For customers who wrote through:", color=ft.Colors.ON_SURFACE_VARIANT),
            ft.Row([*boxes.values(), ft.OutlinedButton("Save", on_click=save_notify)], wrap=True),
        ]
        if unreadable:
            controls += [ft.Divider(), ft.Text("Mails that could not be read", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
                         ft.Text("Kept as they came; the mails after them were imported as usual.",
                                 color=ft.Colors.ON_SURFACE_VARIANT),
                         ft.DataTable(columns=[ft.DataColumn(ft.Text(c)) for c in ("Came", "From", "Why", "")],
                                      rows=[self._unreadable_row(r, now) for r in unreadable])]
        return ft.Column(controls, spacing=12, scroll=ft.ScrollMode.AUTO)

    def _card(self, v: MailboxView, now) -> ft.Control:
        fetched = f"Fetched {fmt.ago(v.last_fetch_at, now)}" if v.last_fetch_at else "Not fetched yet"
        status: list[ft.Control] = [ft.Text(f"{fetched} · {v.waiting} repl{'y' if v.waiting == 1 else 'ies'} "
                                            f"waiting to be sent", size=12)]
        for label, error in (("Fetching", v.fetch_error), ("Sending", v.send_error)):
            if error:
                status.append(ft.Text(f"{label}: {error}", size=12, color=ft.Colors.ERROR, selectable=True))
        result = ft.Text("", size=12)

        async def test(e: Any) -> None:
            result.value, result.color = "Testing…", None
            self.ctx.page.update(result)
            box = await self.ctx.read(self.ctx.services.mail.mailboxes.get, v.id)
            problems = await self.ctx.read(check, self.ctx.services, box)
            result.value = "\n".join(problems) if problems else "IMAP and SMTP both work"
            result.color = ft.Colors.ERROR if problems else ft.Colors.PRIMARY
            self.ctx.page.update(result)

        return ft.Card(content=ft.Container(padding=16, content=ft.Column([
            ft.Row([ft.Text(f"{v.name} <{v.address}>", weight=ft.FontWeight.BOLD, expand=True, selectable=True),
                    ft.Text("active" if v.active else "paused",
                            color=ft.Colors.PRIMARY if v.active else ft.Colors.OUTLINE)]),
            ft.Text(f"IMAP {v.imap} · folder {v.folder} · SMTP {v.smtp}", size=12, selectable=True,
                    color=ft.Colors.ON_SURFACE_VARIANT),
            *status,
            ft.Row([ft.TextButton("Edit", icon=ft.Icons.EDIT_OUTLINED,
                                  on_click=lambda e: self.ctx.page.run_task(self._edit, v)),
                    ft.TextButton("Test connection", icon=ft.Icons.NETWORK_CHECK, on_click=test),
                    ft.TextButton("Pause" if v.active else "Resume",
                                  on_click=lambda e: self.ctx.page.run_task(self._toggle, v)),
                    ft.TextButton("Remove", icon=ft.Icons.DELETE_OUTLINE,
                                  on_click=lambda e: self.ctx.page.run_task(self._remove, v))], wrap=True),
            result,
        ], spacing=6)))

    def _unreadable_row(self, record, now) -> ft.DataRow:
        from helpdesk.ui.workspace.attachments import page_base

        link = page_base(self.ctx.page) + self.ctx.services.files.signed_mail_path(record.id, "eml")
        return ft.DataRow(cells=[ft.DataCell(ft.Text(fmt.ago(record.received_at, now))),
                                 ft.DataCell(ft.Text(record.sender or "—")),
                                 ft.DataCell(ft.Text(record.error[:80])),
                                 ft.DataCell(ft.TextButton("Download .eml", url=link))])

    def _form(self, v: MailboxView | None) -> tuple[dict[str, Any], list[ft.Control]]:
        fields = {
            "name": ft.TextField(on_change=sync_value, label="Name (e.g. Support)", value=v.name if v else "",
                                 autofocus=True),
            "address": ft.TextField(on_change=sync_value, label="Address customers write to",
                                    value=v.address if v else ""),
            "imap": ft.TextField(on_change=sync_value, label="IMAP URL", value=v.imap if v else "", helper=URL_HELP),
            "smtp": ft.TextField(on_change=sync_value, label="SMTP URL", value=v.smtp if v else ""),
            "folder": ft.TextField(on_change=sync_value, label="Folder", value=v.folder if v else "INBOX", width=200),
            "poll_seconds": ft.TextField(on_change=sync_value, label="Look for mail every (s)", width=200,
                                         value=str(v.poll_seconds if v else 60),
                                         keyboard_type=ft.KeyboardType.NUMBER),
            "mark_read": ft.Checkbox(label="Mark mails as read on the server once imported",
                                     value=v.mark_read if v else False),
            "copy_sent": ft.Checkbox(label="Keep a copy of each reply in the mailbox's Sent folder (so your own "
                                           "mail program shows the answers)",
                                     value=not v or v.sent_folder != "-"),
            "sent_folder": ft.TextField(on_change=sync_value, label="Sent folder", width=200,
                                        value=v.sent_folder if v and v.sent_folder != "-" else "",
                                        hint_text="the one marked Sent"),
        }
        layout: list[ft.Control] = [fields["name"], fields["address"], fields["imap"], fields["smtp"],
                                    ft.Row([fields["folder"], fields["poll_seconds"]]), fields["mark_read"],
                                    ft.Row([fields["copy_sent"], fields["sent_folder"]], wrap=True)]
        return fields, layout

    @staticmethod
    def _input(fields: dict[str, Any], active: bool) -> MailboxInput:
        try:
            poll = int(fields["poll_seconds"].value or 60)
        except ValueError:
            poll = 0  # the service names the field
        return MailboxInput(name=fields["name"].value or "", address=fields["address"].value or "",
                            imap=fields["imap"].value or "", smtp=fields["smtp"].value or "",
                            folder=fields["folder"].value or "INBOX", poll_seconds=poll,
                            mark_read=bool(fields["mark_read"].value), active=active,
                            sent_folder=(fields["sent_folder"].value or "") if fields["copy_sent"].value else "-")

    async def _edit(self, v: MailboxView | None) -> None:
        fields, layout = self._form(v)
        result = ft.Text("", size=12)
        mailboxes = self.ctx.services.mail.mailboxes

        async def test(e: Any) -> None:
            urls = await self.ctx.attempt(mailboxes.urls_to_test, self._input(fields, True), v.id if v else None)
            if urls is None:
                return
            result.value, result.color = "Testing…", None
            self.ctx.page.update(result)
            problems = await self.ctx.read(check_urls, *urls, fields["folder"].value or "INBOX")
            result.value = "\n".join(problems) if problems else "IMAP and SMTP both work"
            result.color = ft.Colors.ERROR if problems else ft.Colors.PRIMARY
            self.ctx.page.update(result)

        async def save(e: Any) -> None:
            data = self._input(fields, v.active if v else True)
            saved = await self.ctx.attempt(mailboxes.update, v.id, data, self.ctx.actor) if v else \
                await self.ctx.attempt(mailboxes.add, data, self.ctx.actor)
            if saved is not None:
                _, warnings = saved
                close_dialog(self.ctx.page)
                self.ctx.toast("Saved" + (f". Note: {warnings[0]}" if warnings else ""))
                await self.rerender()

        self.ctx.page.show_dialog(ft.AlertDialog(
            title=ft.Text(f"Edit {v.name}" if v else "Add a mailbox"),
            content=ft.Column([*layout, result], tight=True, width=560, scroll=ft.ScrollMode.AUTO),
            actions=[ft.TextButton("Cancel", on_click=lambda e: close_dialog(self.ctx.page)),
                     ft.OutlinedButton("Test connection", on_click=test), ft.FilledButton("Save", on_click=save)]))
        self.ctx.page.update()

    async def _toggle(self, v: MailboxView) -> None:
        mailboxes = self.ctx.services.mail.mailboxes
        data = MailboxInput(name=v.name, address=v.address, imap=v.imap, smtp=v.smtp, folder=v.folder,
                            poll_seconds=v.poll_seconds, mark_read=v.mark_read, active=not v.active,
                            sent_folder=v.sent_folder)
        if await self.ctx.attempt(mailboxes.update, v.id, data, self.ctx.actor) is not None:
            await self.rerender()

    async def _remove(self, v: MailboxView) -> None:
        if not await self.ctx.confirm(f"Remove {v.name}?", "Mail to this address stops coming in; its conversations "
                                      "stay, and replies to them wait until another mailbox can send them.",
                                      "Remove", "Keep it"):
            return
        if await self.ctx.attempt(self.ctx.services.mail.mailboxes.remove, v.id, self.ctx.actor) is not None:
            await self.rerender()
