"""The Viewer itself: how the access policy reads who is looking (the rules are held by
tests/test_access_matrix.py and tests/test_access_properties.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from storyatlas.archive import Viewer, discover
from storyatlas.archive.consent import changes
from storyatlas.archive.policy import story_condition
from tests.conftest import add_story


def test_communities_are_read_whatever_their_case_and_spaces(archive):
    alder = add_story(archive, "Alder's own", "en", [(0.0, 2.0, "the mill by the river")],
                      visibility="community", community="Alder")
    viewer = Viewer(name="ana", member_of=[" ALDER ", "", "   "], moderates=["Birch\n"])
    assert viewer.member_of == {"alder"}  # no empty name: it would match a story without a community
    assert viewer.moderates == {"birch"}
    assert [s.id for s in archive.stories(viewer)] == [alder]


def test_a_storyteller_s_stories_are_numbers_whatever_they_came_as(archive):
    told = add_story(archive, "Mine", "en", [(0.0, 2.0, "the mill by the river")], visibility="private")
    teller = Viewer(tells=[str(told)])  # a story number as a link's text gives it
    assert teller.tells == {told}
    assert changes(archive, told, teller) == []  # the teller's own: no AccessDenied


def test_an_unknown_role_is_refused_not_ignored():
    # a misspelt role would otherwise give someone less (or, read elsewhere, more) than meant
    with pytest.raises(ValueError, match=r"unknown roles \['admn'\]: choose from admin, moderator"):
        Viewer(name="ana", roles=frozenset({"admn"}))


@pytest.mark.parametrize("who", [None, "admin", SimpleNamespace(is_admin=True, moderates=frozenset(), tells=())])
def test_a_reading_without_a_viewer_fails_closed(archive, who):
    hidden = add_story(archive, "Hidden", "en", [(0.0, 2.0, "the mill by the river")], visibility="private")
    with pytest.raises(TypeError, match="a Viewer is required to read stories"):
        story_condition(who)
    with pytest.raises(TypeError, match="a Viewer is required to read stories"):
        discover.summaries(archive, [hidden], who)
