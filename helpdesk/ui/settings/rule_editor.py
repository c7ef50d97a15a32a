"""The rule editor (Settings › Automation › New rule / Edit): when, if, then, as rows of
dropdowns and fields. It edits the rule's JSON form (services/automation/spec.py) and lets the
service check it: a refusal names the field in words."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

import flet as ft

from helpdesk.models import PRIORITIES
from helpdesk.services.automation.spec import (ACTIONS, CONDITION_LABELS, CONDITIONS, OP_LABELS, TRIGGERS, WAITED,
                                               slug)
from helpdesk.ui.context import UiContext
from helpdesk.ui.widgets import close_dialog, icon_button, sync_value

SNOOZES = {"next_opening": "until the next opening", "1": "for 1 hour", "4": "for 4 hours", "24": "for a day",
           "72": "for 3 days"}
VALUE_WORDS = {"inside": "inside", "outside": "outside", "first": "the first one", "follow_up": "a follow-up"}


def _options(pairs: Any) -> list[ft.DropdownOption]:
    return [ft.DropdownOption(key=k, text=v) for k, v in pairs]


class RuleEditor:
    def __init__(self, ctx: UiContext, rule: Any, agents: list[Any], canned: list[str],
                 saved: Callable[[], Awaitable[None]], articles: list[str] | None = None) -> None:
        self.ctx = ctx
        self.rule = rule
        self.agents = agents
        self.canned = canned
        self.articles = articles or []  # published help articles' titles
        self.saved = saved
        data = ctx.services.automation.export_one(rule) if rule is not None else {
            "title": "", "trigger": "conversation_created", "hours": None,
            "conditions": {"match": "all", "items": []}, "actions": [{"type": "add_tags", "tags": []}]}
        self.data = data
        self.conditions: list[dict[str, Any]] = [dict(c) for c in data["conditions"]["items"]]
        self.actions: list[dict[str, Any]] = [dict(a) for a in data["actions"]]
        self.title = ft.TextField(on_change=sync_value, label="Name", value=data["title"], autofocus=True, dense=True)
        self.trigger = ft.Dropdown(label="When", value=data["trigger"], dense=True, width=330,
                                   options=_options(TRIGGERS.items()), on_select=self._trigger_changed)
        self.hours = ft.TextField(on_change=sync_value, label="Hours", value=f"{data['hours']:g}" if data["hours"] else "",
                                  width=90, dense=True, visible=data["trigger"] in WAITED)
        self.match = ft.Dropdown(label="If", value=data["conditions"]["match"], dense=True, width=240,
                                 options=_options([("all", "all of these hold"), ("any", "any of these holds")]))
        self.condition_rows = ft.Column(spacing=6)
        self.action_rows = ft.Column(spacing=6)
        self.body = ft.Column([
            self.title, ft.Row([self.trigger, self.hours]),
            self.match, self.condition_rows,
            ft.TextButton("Add a condition", icon=ft.Icons.ADD, on_click=self._add_condition),
            ft.Text("Then", weight=ft.FontWeight.BOLD), self.action_rows,
            ft.TextButton("Add an action", icon=ft.Icons.ADD, on_click=self._add_action),
        ], tight=True, width=640, scroll=ft.ScrollMode.AUTO, spacing=8)

    def show(self) -> None:
        self._draw()
        self.ctx.page.show_dialog(ft.AlertDialog(
            title=ft.Text(f"Edit rule {self.rule.title}" if self.rule else "New rule"), content=self.body,
            actions=[ft.TextButton("Cancel", on_click=lambda e: close_dialog(self.ctx.page)),
                     ft.FilledButton("Save rule", on_click=self._save)]))
        self.ctx.page.update()

    # ---- rows ---------------------------------------------------------------------------------

    def _draw(self) -> None:
        self.condition_rows.controls = [self._condition_row(i, c) for i, c in enumerate(self.conditions)] or [
            ft.Text("No conditions: it runs every time.", italic=True, size=12)]
        self.action_rows.controls = [self._action_row(i, a) for i, a in enumerate(self.actions)]

    def _redraw(self) -> None:
        self._draw()
        self.ctx.page.update(self.body)

    def _condition_row(self, i: int, c: dict[str, Any]) -> ft.Control:
        ops, values = CONDITIONS[c["field"]]

        def set_(key: str) -> Callable[[Any], None]:
            def on(e: Any) -> None:
                c[key] = e.control.value
                if key == "field":
                    c["op"], c["value"] = CONDITIONS[c["field"]][0][0], ""
                    self._redraw()
            return on

        field = ft.Dropdown(value=c["field"], dense=True, width=200, options=_options(CONDITION_LABELS.items()),
                            on_select=set_("field"), label="Field")
        op = ft.Dropdown(value=c["op"], dense=True, width=150, options=_options((o, OP_LABELS[o]) for o in ops),
                         on_select=set_("op"), label="Is")
        if values is not None:
            value: ft.Control = ft.Dropdown(value=c.get("value") or None, dense=True, width=180, label="Value",
                                            options=_options((v, VALUE_WORDS.get(v, v)) for v in values),
                                            on_select=set_("value"))
        else:
            value = ft.TextField(value=c.get("value", ""), dense=True, width=180, label="Value",
                                 hint_text="an agent's email or nobody" if c["field"] == "assignee" else None,
                                 on_change=set_("value"))
        return ft.Row([field, op, value, icon_button(ft.Icons.CLOSE, "Remove this condition",
                                                      on_click=lambda e: self._remove(self.conditions, i))])

    def _action_row(self, i: int, a: dict[str, Any]) -> ft.Control:
        def retype(e: Any) -> None:
            a.clear()
            a.update(type=e.control.value, **self._defaults(e.control.value))
            self._redraw()

        kind = ft.Dropdown(value=a["type"], dense=True, width=210, label="Action", options=_options(ACTIONS.items()),
                           on_select=retype)
        return ft.Row([kind, *self._action_fields(a),
                       icon_button(ft.Icons.CLOSE, "Remove this action",
                                     on_click=lambda e: self._remove(self.actions, i))],
                      vertical_alignment=ft.CrossAxisAlignment.START)

    def _defaults(self, kind: str) -> dict[str, Any]:
        return {"assign": {"to": "round_robin", "agents": [], "cap": None}, "priority": {"value": "high"},
                "add_tags": {"tags": []}, "remove_tags": {"tags": []}, "reply": {"body": ""}, "note": {"body": ""},
                "notify": {"body": ""}, "snooze": {"until": "next_opening"}}.get(kind, {})

    def _action_fields(self, a: dict[str, Any]) -> list[ft.Control]:
        def put(key: str, convert: Callable[[str], Any] = str) -> Callable[[Any], None]:
            def on(e: Any) -> None:
                a[key] = convert(e.control.value or "")
            return on

        kind = a["type"]
        if kind == "assign":
            people = [(x.email, x.name) for x in self.agents if x.active]
            return [ft.Dropdown(value=a.get("to"), dense=True, width=200, label="To", on_select=put("to"),
                                options=_options([("round_robin", "Round-robin (available agents)"),
                                                  ("least_busy", "The least busy agent"), *people])),
                    ft.TextField(value=str(a["cap"]) if a.get("cap") else "", dense=True, width=110,
                                 label="At most open", on_change=put("cap", lambda v: int(v) if v.isdigit() else None))]
        if kind == "priority":
            return [ft.Dropdown(value=a.get("value"), dense=True, width=140, label="Priority",
                                options=_options((p, p) for p in PRIORITIES), on_select=put("value"))]
        if kind in ("add_tags", "remove_tags"):
            return [ft.TextField(value=", ".join(a.get("tags") or []), dense=True, width=260, label="Tags, comma separated",
                                 on_change=put("tags", lambda v: [t.strip() for t in v.split(",") if t.strip()]))]
        if kind in ("reply", "note", "notify"):
            fields: list[ft.Control] = []
            if kind == "reply" and self.canned:
                def canned(e: Any) -> None:
                    a.pop("canned", None)
                    a.pop("body", None)
                    if e.control.value == "-":
                        a["body"] = ""
                    else:
                        a["canned"] = e.control.value
                    self._redraw()

                fields.append(ft.Dropdown(value=a.get("canned") or "-", dense=True, width=180, label="Text",
                                          options=_options([("-", "Written here"), *((t, t) for t in self.canned)]),
                                          on_select=canned))
            if not a.get("canned"):
                fields.append(ft.TextField(value=a.get("body", ""), dense=True, width=300, multiline=True, min_lines=2,
                                           max_lines=6, label="Message" if kind != "note" else "Note",
                                           hint_text="{{customer.first_name}}, {{promise.reply_by}}, "
                                                     "{{hours.next_open}}…", on_change=put("body")))
            if kind == "reply":  # answers the customer can tap; their answer is the condition "Customer's choice"
                fields.append(ft.TextField(value="\n".join(a.get("choices") or []), dense=True, width=220,
                                           multiline=True, min_lines=2, max_lines=6, label="Choices (optional)",
                                           hint_text="One per line", on_change=put(
                                               "choices", lambda v: [c.strip() for c in v.splitlines() if c.strip()])))
            return fields
        if kind == "reply_article":
            def article(e: Any) -> None:
                a.pop("article", None)
                if e.control.value != "-":
                    a["article"] = e.control.value

            return [ft.Dropdown(value=a.get("article") or "-", dense=True, width=240, label="Article",
                                options=_options([("-", "The best match for the customer's words"),
                                                  *((t, t) for t in self.articles)]), on_select=article),
                    ft.TextField(value=a.get("body", ""), dense=True, width=300, multiline=True, min_lines=2,
                                 max_lines=6, label="Words before the link (optional)",
                                 hint_text="This may answer your question:", on_change=put("body"))]
        if kind == "snooze":
            chosen = "next_opening" if a.get("until") else f"{a.get('hours', 4):g}"

            def snooze(e: Any) -> None:
                a.pop("until", None)
                a.pop("hours", None)
                if e.control.value == "next_opening":
                    a["until"] = "next_opening"
                else:
                    a["hours"] = float(e.control.value)

            return [ft.Dropdown(value=chosen if chosen in SNOOZES else "4", dense=True, width=200, label="Snooze",
                                options=_options(SNOOZES.items()), on_select=snooze)]
        return []

    def _remove(self, rows: list[dict[str, Any]], i: int) -> None:
        rows.pop(i)
        self._redraw()

    def _add_condition(self, _e: Any) -> None:
        self.conditions.append({"field": "text", "op": "contains", "value": ""})
        self._redraw()

    def _add_action(self, _e: Any) -> None:
        self.actions.append({"type": "add_tags", "tags": []})
        self._redraw()

    def _trigger_changed(self, e: Any) -> None:
        self.hours.visible = e.control.value in WAITED
        self.ctx.page.update(self.hours)

    # ---- saving -------------------------------------------------------------------------------

    def form(self) -> dict[str, Any]:
        hours = (self.hours.value or "").strip().replace(",", ".")
        try:
            hours_value: Any = float(hours) if hours else None
        except ValueError:
            hours_value = hours  # the service names it
        title = (self.title.value or "").strip()
        return {"title": title, "name": self.rule.name if self.rule else slug(title),
                "enabled": self.rule.enabled if self.rule else True, "trigger": self.trigger.value,
                "hours": hours_value, "conditions": {"match": self.match.value, "items": self.conditions},
                "actions": self.actions}

    async def _save(self, _e: Any) -> None:
        automation = self.ctx.services.automation
        if self.rule is None:
            done = await self.ctx.attempt(automation.create, self.form(), self.ctx.actor)
        else:
            done = await self.ctx.attempt(automation.update, self.rule.id, self.form(), self.ctx.actor)
        if done is not None:
            close_dialog(self.ctx.page)  # the editor first: a toast shown now would be the one popped
            await self.saved()
            self.ctx.toast(f"Rule saved: it is {'on' if done.enabled else 'off'}")
