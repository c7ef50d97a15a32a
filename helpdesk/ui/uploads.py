"""Files an agent picks to send or to store (a reply's attachments, a logo, an article's
pictures): the client uploads each to a signed upload URL; it is then moved into the file
store and shown as a chip until used."""

from __future__ import annotations

import logging
import secrets
import shutil
from pathlib import Path
from typing import Any, Awaitable, Callable

import flet as ft

from helpdesk.services.container import Services
from helpdesk.services.errors import ServiceError
from helpdesk.services.files import StagedFile, mb
from helpdesk.ui.format import explain

log = logging.getLogger(__name__)
UPLOAD_LINK_SECONDS = 600


class PendingFiles:
    """Files picked for the next reply or note: uploaded, staged in the store, shown as chips."""

    def __init__(self, page: ft.Page, services: Services, upload_dir: Path, changed: Callable[[], None],
                 toast: Callable[..., None], run: Callable[..., Awaitable[Any]]) -> None:
        self.page = page
        self.services = services
        self.folder = upload_dir / secrets.token_hex(8)  # this session's own uploads
        self.changed = changed
        self.toast = toast
        self.run = run  # a blocking call in a worker thread
        self.staged: list[StagedFile] = []
        self.picker = ft.FilePicker(on_upload=self._uploaded)  # registers itself with the page; kept referenced
        self.row = ft.Row([], wrap=True, spacing=6, visible=False)
        self._waiting: set[str] = set()

    async def pick(self) -> None:
        picked = await self.picker.pick_files(allow_multiple=True, dialog_title="Attach files")
        if not picked:
            return
        uploads = []
        for f in picked:
            if f.size > self.services.files.limits.per_file:
                self.toast(f"{f.name} is over {mb(self.services.files.limits.per_file)}, the most a file may be",
                           error=True)
                continue
            name = f"{self.folder.name}/{secrets.token_hex(4)}-{Path(f.name).name}"
            self._waiting.add(name)
            uploads.append(ft.FilePickerUploadFile(upload_url=self.page.get_upload_url(name, UPLOAD_LINK_SECONDS),
                                                   id=f.id, name=f.name))
        if uploads:
            self.toast(f"Attaching {len(uploads)} file{'s' if len(uploads) > 1 else ''}…")
            await self.picker.upload(uploads)

    async def _uploaded(self, e: ft.FilePickerUploadEvent) -> None:
        if e.error:
            self.toast(f"{e.file_name} could not be uploaded: {e.error}", error=True)
            return
        if e.progress is None or e.progress < 1.0:
            return
        match = next((n for n in sorted(self._waiting) if n.split("-", 1)[-1].endswith(e.file_name)), None)
        if match is None:
            return
        self._waiting.discard(match)
        path = self.folder.parent / match
        try:
            with open(path, "rb") as source:
                staged = await self.run(self.services.files.stage_file, source, e.file_name)
        except ServiceError as exc:
            self.toast(explain(exc), error=True)
            return
        except OSError:
            log.exception("an uploaded file could not be read")
            self.toast(f"{e.file_name} could not be attached; the error has been logged.", error=True)
            return
        finally:
            path.unlink(missing_ok=True)
        self.staged.append(staged)
        self._draw()

    def _draw(self) -> None:
        self.row.controls = [ft.Chip(label=ft.Text(f"{f.filename} ({mb(f.size)})"), leading=ft.Icon(ft.Icons.ATTACH_FILE),
                                     on_delete=lambda e, f=f: self.remove(f)) for f in self.staged]
        self.row.visible = bool(self.staged)
        self.changed()

    def remove(self, staged: StagedFile) -> None:
        self.staged = [f for f in self.staged if f is not staged]
        self._draw()

    def take(self) -> list[StagedFile]:
        taken, self.staged = self.staged, []
        if taken:  # most replies have none: nothing to redraw
            self._draw()
        return taken

    def put_back(self, files: list[StagedFile]) -> None:
        self.staged = files + self.staged
        self._draw()

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)  # uploads never sent; staged files are collected later
