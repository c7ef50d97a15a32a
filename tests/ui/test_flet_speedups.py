"""ui/flet_speedups.py's changes to Flet's diff are in place on the pinned Flet, and the stand-in
for `dataclasses` answers as dataclasses does (a wrong answer would send wrong patches)."""

import dataclasses

import flet as ft
from flet.controls import object_patch

from helpdesk.ui import flet_speedups  # noqa: F401  (installs)


def test_the_diff_runs_flets_own_code_with_its_debug_lines_lazy_and_its_field_map_kept_per_class():
    compare = object_patch.DiffBuilder._compare_dataclasses
    assert "field_map" in compare.__code__.co_names  # a Flet upgrade that changed the method fails here
    assert "isEnabledFor" in compare.__code__.co_names
    assert "isEnabledFor" in object_patch.DiffBuilder._compare_lists.__code__.co_names


def test_the_stand_in_answers_as_dataclasses_does():
    facts = object_patch.dataclasses
    text, row = ft.Text("hello"), ft.Row([ft.Text("a")])
    for value in (text, ft.Text, row, ft.Row, "text", 3, {"a": 1}, [text], None, dict):
        assert facts.is_dataclass(value) == dataclasses.is_dataclass(value), value
    for value in (text, ft.Text, row):
        assert facts.fields(value) == dataclasses.fields(value)
        assert facts.field_map(value) == {f.name: f for f in dataclasses.fields(value)}
    assert facts.replace is dataclasses.replace  # everything else is dataclasses' own
