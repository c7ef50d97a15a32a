"""Settings › Jobs: the scheduled work, when it last ran and with what result, and Run now."""

from __future__ import annotations

import flet as ft

from helpdesk.services.images import WAITING
from helpdesk.services.jobs import JOBS
from helpdesk.ui import format as fmt
from helpdesk.ui.settings.common import Section, heading


class JobsSection(Section):
    async def build(self) -> ft.Control:
        services = self.ctx.services
        statuses, next_runs = await self.ctx.read(lambda: (services.jobs.statuses(), services.jobs.next_runs()))
        now = services.clock.now()
        # Jobs run in one process: on PostgreSQL another Helpdesk process may hold them (jobs/leader.py).
        elsewhere = "in another Helpdesk process" if not services.db.is_sqlite else "not scheduled"
        rows = []
        for spec in JOBS:
            st = statuses.get(spec.id)
            last = fmt.ago(st.last_finished_at, now) if st and st.last_finished_at else "never"
            result = (st.last_result if st else "") or "—"
            error = st.last_error.splitlines()[0] if st and st.last_error else ""
            upcoming = next_runs.get(spec.id)
            every = spec.every + (f", after {self.ctx.settings.auto_resolve_days} days without a customer message"
                                  if spec.id == "auto_resolve" else "")
            rows.append(ft.DataRow(cells=[
                ft.DataCell(ft.Column([ft.Text(spec.name), ft.Text(every, size=11, color=ft.Colors.ON_SURFACE_VARIANT)],
                                      spacing=0)),
                ft.DataCell(ft.Text(last)),
                ft.DataCell(ft.Text(error or result, color=ft.Colors.ERROR if error else None)),
                ft.DataCell(ft.Text(fmt.stamp(upcoming, now, None) if upcoming else elsewhere if not next_runs else "—")),
                ft.DataCell(ft.TextButton("Run now", on_click=lambda e, j=spec.id: self.ctx.page.run_task(
                    self._run_job, j))),
            ]))
        images = services.files.images.status()  # the image decoder's queue (docs/security.md, "Budgets")
        return ft.Column([
            *heading("Jobs", "Work Helpdesk does on its own. Each job runs one at a time; "
                             "after the computer was off, each late job runs once at start."),
            ft.DataTable(columns=[ft.DataColumn(ft.Text(h)) for h in ("Job", "Last run", "Last result", "Next run", "")],
                         rows=rows),
            ft.Text("Photo previews", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ft.Text(f"{images.running} being made, {images.waiting} waiting (at most {WAITING} wait; more are told to "
                    f"try again). Since Helpdesk started: {images.refused} too large to preview, {images.turned_away} "
                    "turned away while busy.", size=12, color=ft.Colors.ON_SURFACE_VARIANT),
        ], spacing=16, scroll=ft.ScrollMode.AUTO)

    async def _run_job(self, job_id: str) -> None:
        # A job can take a while (a backup): it runs in a worker thread, its writes on the writer.
        result = await self.ctx.attempt(self.ctx.services.jobs.run_now, job_id, self.ctx.actor)
        if result is not None:
            self.ctx.toast(f"Done: {result}", error=result == "failed")
            await self.rerender()
