"""Files in the workspace: showing the files a message carries (images as thumbnails that open
full size, voice notes and videos to play, other files as downloads). Picking and uploading
them is ui/uploads.py."""

from __future__ import annotations

import flet as ft

from helpdesk.models import Attachment
from helpdesk.services.container import Services
from helpdesk.services.files import MEDIA_TYPES, THUMB_TYPES, mb
from helpdesk.web.media import play_length
from helpdesk.ui.widgets import close_dialog



def page_base(page: ft.Page) -> str:
    """This session's own server address (http…), for links the client opens itself."""
    url = getattr(page, "url", "") or ""
    return url.replace("wss://", "https://", 1).replace("ws://", "http://", 1).rstrip("/")


def file_chips(page: ft.Page, services: Services, files: list[Attachment]) -> list[ft.Control]:
    """A message's files: images as thumbnails (click: full size), others as download links."""
    base = page_base(page)
    controls: list[ft.Control] = []
    for a in files:
        link = base + services.files.signed_path(a)
        if a.content_type in THUMB_TYPES:
            controls.append(ft.Container(
                ft.Image(src=base + services.files.signed_path(a, "thumb"), width=160, height=120,
                         fit=ft.BoxFit.COVER, border_radius=8, semantics_label=a.filename),
                tooltip=f"{a.filename} ({mb(a.size)}): open full size",
                on_click=lambda e, a=a, link=link: _show_full(page, a, link)))
        elif a.content_type in MEDIA_TYPES:
            # Flet draws no player here: the browser (or the PC's player) plays it, seeking included.
            length = play_length(a.duration_ms)
            controls.append(ft.TextButton(f"Play {a.filename}" + (f" ({length})" if length else ""),
                                          icon=ft.Icons.PLAY_CIRCLE_OUTLINE, url=link,
                                          tooltip=f"Play in the browser ({mb(a.size)})"))
        else:
            controls.append(ft.TextButton(f"{a.filename} ({mb(a.size)})", icon=ft.Icons.ATTACH_FILE,
                                          tooltip="Download", url=link))
    return controls


def _show_full(page: ft.Page, attachment: Attachment, link: str) -> None:
    page.show_dialog(ft.AlertDialog(
        title=ft.Text(attachment.filename), content=ft.Image(src=link, fit=ft.BoxFit.CONTAIN, width=720),
        actions=[ft.TextButton("Download", url=link), ft.TextButton("Close", on_click=lambda e: close_dialog(page))]))
    page.update()
