"""The account menu's own pages: two-step sign-in (set up, new recovery codes, turn off), the
devices signed in as this agent (sign out one, or every other), and changing the password (which
signs out every other device)."""

from __future__ import annotations

from typing import Any

import flet as ft

from helpdesk import __version__
from helpdesk.ui import format as fmt
from helpdesk.ui.context import UiContext
from helpdesk.ui.second_step import code_field, enrolment_card, recovery_card
from helpdesk.ui.widgets import close_dialog, sync_value


def menu_items(ctx: UiContext) -> list[ft.PopupMenuItem]:
    """The account menu at the top of the workspace: who is signed in, their availability, their
    sign-in's safety, Reports, Settings (admins), signing out and the version."""
    run, agent = ctx.page.run_task, ctx.agent
    items = [ft.PopupMenuItem(content=f"{agent.name} ({agent.role})", disabled=True),
             *availability_items(ctx),
             ft.PopupMenuItem(content="Two-step sign-in", icon=ft.Icons.VERIFIED_USER_OUTLINED,
                              on_click=lambda e: run(two_step, ctx)),
             ft.PopupMenuItem(content="Signed-in devices", icon=ft.Icons.DEVICES_OUTLINED,
                              on_click=lambda e: run(devices, ctx)),
             ft.PopupMenuItem(content="Change password", icon=ft.Icons.PASSWORD,
                              on_click=lambda e: run(change_password, ctx)),
             ft.PopupMenuItem(content="Reports", icon=ft.Icons.INSIGHTS, on_click=lambda e: run(ctx.navigate, "reports"))]
    if ctx.is_admin:
        items.append(ft.PopupMenuItem(content="Settings", icon=ft.Icons.SETTINGS,
                                      on_click=lambda e: run(ctx.navigate, "settings")))
    return items + [ft.PopupMenuItem(content="Sign out", icon=ft.Icons.LOGOUT,
                                     on_click=lambda e: run(ctx.navigate, "sign-out")),
                    ft.PopupMenuItem(content=f"Helpdesk {__version__}", disabled=True)]


def availability_items(ctx: UiContext) -> list[ft.PopupMenuItem]:
    """Account menu: away or available (automatic assignment passes over whoever is away), and
    whether a mention that finds them away also comes by mail. Each says where they stand."""
    def away_words() -> str:
        return "Available · set me away" if not ctx.agent.away else "Away · set me available"

    def mail_words() -> str:
        return "Mail me mentions while I'm away: " + ("on" if ctx.agent.mention_mail else "off")

    async def toggle_away() -> None:
        agent = await ctx.attempt(ctx.services.agents.set_away, ctx.agent.id, not ctx.agent.away, ctx.actor)
        if agent is not None:
            ctx.agent = agent
            away.content = away_words()
            ctx.toast("You are away: rules assign you nothing new" if agent.away
                      else "You are available for new conversations")

    async def toggle_mail() -> None:
        agent = await ctx.attempt(ctx.services.agents.set_mention_mail, ctx.agent.id, not ctx.agent.mention_mail,
                                  ctx.actor)
        if agent is not None:
            ctx.agent = agent
            mail.content = mail_words()
            ctx.toast(f"A mention that finds you away comes to {agent.email} too" if agent.mention_mail
                      else "Mentions wait for you in Helpdesk only")

    away = ft.PopupMenuItem(content=away_words(), icon=ft.Icons.DO_NOT_DISTURB_ON_OUTLINED,
                            on_click=lambda e: ctx.page.run_task(toggle_away))
    mail = ft.PopupMenuItem(content=mail_words(), icon=ft.Icons.MARK_EMAIL_UNREAD_OUTLINED,
                            on_click=lambda e: ctx.page.run_task(toggle_mail))
    return [away, mail]


def _dialog(ctx: UiContext, title: str, body: list[ft.Control], actions: list[ft.Control] | None = None) -> None:
    ctx.page.show_dialog(ft.AlertDialog(
        title=ft.Text(title), content=ft.Column(body, tight=True, width=460, spacing=12, scroll=ft.ScrollMode.AUTO),
        actions=actions or [ft.TextButton("Close", on_click=lambda e: close_dialog(ctx.page))]))
    ctx.page.update()


async def two_step(ctx: UiContext) -> None:
    services, me = ctx.services, ctx.agent.id
    agent = await ctx.read(services.agents.get, me)
    policy = await ctx.read(services.two_step.policy)
    required = {"everyone": "This shop requires it for everyone.",
                "outside_lan": "This shop requires it to sign in from outside its network."}.get(policy.two_step, "")
    if agent.totp_enabled_at is None:
        await _set_up(ctx, required)
        return
    left = len(agent.recovery_codes or [])

    async def renew(_e: Any) -> None:
        codes = await ctx.attempt(services.two_step.new_recovery_codes, me, ctx.actor)
        if codes is not None:
            close_dialog(ctx.page)
            _dialog(ctx, "New recovery codes", [*recovery_card(codes), ft.Text("The old ones no longer work.",
                                                                                size=12)])

    async def turn_off(_e: Any) -> None:
        code = code_field("A current code from your app")

        async def confirm(_e: Any) -> None:
            if await ctx.attempt(services.two_step.turn_off, me, code.value or "", ctx.actor,
                                 success="Two-step sign-in is off") is not None:
                close_dialog(ctx.page)
                ctx.page.update()

        close_dialog(ctx.page)
        _dialog(ctx, "Turn off two-step sign-in", [ft.Text("Signing in will need only your password."), code],
                [ft.TextButton("Cancel", on_click=lambda e: close_dialog(ctx.page)),
                 ft.FilledButton("Turn off", on_click=confirm)])

    _dialog(ctx, "Two-step sign-in", [
        ft.Row([ft.Icon(ft.Icons.VERIFIED_USER, color=ft.Colors.GREEN), ft.Text(
            f"On since {fmt.stamp(agent.totp_enabled_at, services.clock.now(), None)}", weight=ft.FontWeight.W_500)]),
        ft.Text(f"After your password, Helpdesk asks for the code your authenticator app shows. {left} recovery code"
                f"{'s' if left != 1 else ''} left. {required}".strip(), color=ft.Colors.ON_SURFACE_VARIANT),
    ], [ft.TextButton("Turn off", on_click=turn_off, disabled=policy.two_step == "everyone"),
        ft.TextButton("New recovery codes", on_click=renew),
        ft.FilledButton("Close", on_click=lambda e: close_dialog(ctx.page))])


async def _set_up(ctx: UiContext, required: str) -> None:
    services, me = ctx.services, ctx.agent.id
    enrolment = await ctx.attempt(services.two_step.begin, me, ctx.actor)
    if enrolment is None:
        return
    code = code_field()

    async def confirm(_e: Any) -> None:
        codes = await ctx.attempt(services.two_step.confirm, me, code.value or "", ctx.actor)
        if codes is None:
            code.value = ""
            ctx.page.update()
            return
        close_dialog(ctx.page)
        _dialog(ctx, "Two-step sign-in is on", recovery_card(codes),
                [ft.FilledButton("I have kept them", on_click=lambda e: close_dialog(ctx.page))])

    code.on_submit = confirm
    _dialog(ctx, "Set up two-step sign-in", [
        *enrolment_card(enrolment, "After your password, Helpdesk will ask for a code from your phone, so a stolen "
                                   f"password is not enough. {required + ' ' if required else ''}Scan this with an "
                                   "authenticator app "
                                   "(Google Authenticator, Microsoft Authenticator, 2FAS, Aegis…), then enter the "
                                   "code it shows."), code],
        [ft.TextButton("Cancel", on_click=lambda e: close_dialog(ctx.page)),
         ft.FilledButton("Confirm", on_click=confirm)])


async def devices(ctx: UiContext) -> None:
    services, me = ctx.services, ctx.agent.id
    now = services.clock.now()
    listed = await ctx.read(services.auth.devices, me, ctx.session_token)

    async def end(device_id: int) -> None:
        close_dialog(ctx.page)
        await ctx.attempt(services.auth.sign_out_device, me, device_id, ctx.actor, success="Signed out")
        await devices(ctx)

    async def end_others(_e: Any) -> None:
        close_dialog(ctx.page)
        ended = await ctx.attempt(services.auth.sign_out_others, ctx.session_token, ctx.actor)
        if ended is not None:
            ctx.toast(f"Signed out on {ended} other device{'s' if ended != 1 else ''}")

    rows: list[ft.Control] = [ft.ListTile(
        leading=ft.Icon(ft.Icons.DESKTOP_WINDOWS_OUTLINED if d.what == "Desktop window" else
                        ft.Icons.PHONE_ANDROID if "Android" in d.what or "iPhone" in d.what else ft.Icons.LAPTOP),
        title=ft.Text(d.what + (" · this device" if d.this_device else "")),
        subtitle=ft.Text(f"{d.address or 'address unknown'} · last seen {fmt.ago(d.last_seen_at, now)} · "
                         f"signed in {fmt.stamp(d.signed_in_at, now, None)}"),
        trailing=None if d.this_device else ft.TextButton("Sign out", on_click=lambda e, d=d: ctx.page.run_task(
            end, d.id))) for d in listed]
    others = sum(not d.this_device for d in listed)
    _dialog(ctx, "Signed-in devices", rows or [ft.Text("No devices.")], [
        ft.TextButton("Sign out other devices", on_click=end_others, disabled=others == 0),
        ft.FilledButton("Close", on_click=lambda e: close_dialog(ctx.page))])


async def change_password(ctx: UiContext) -> None:
    services = ctx.services
    current = ft.TextField(on_change=sync_value, label="Current password", password=True, can_reveal_password=True,
                           autofocus=True)
    new = ft.TextField(on_change=sync_value, label="New password (8 characters or more)", password=True,
                       can_reveal_password=True)

    async def save(_e: Any) -> None:
        if await ctx.read(services.agents.authenticate, ctx.agent.email, current.value or "") is None:
            ctx.toast("The current password is not right.", error=True)
            return
        if await ctx.attempt(services.agents.reset_password, ctx.agent.id, new.value or "", ctx.actor,
                             ctx.session_token,
                             success="Password changed; your other devices are signed out") is not None:
            close_dialog(ctx.page)
            ctx.page.update()

    _dialog(ctx, "Change password", [current, new, ft.Text("Every other device signed in as you is signed out.",
                                                           size=12, color=ft.Colors.ON_SURFACE_VARIANT)],
            [ft.TextButton("Cancel", on_click=lambda e: close_dialog(ctx.page)), ft.FilledButton("Save", on_click=save)])
