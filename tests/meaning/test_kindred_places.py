""""Others lived this too" is about other places: the story's own community's stories are
left out before the closest are taken, not after."""

from __future__ import annotations

from storyatlas import meaning
from storyatlas.archive import Viewer
from tests.conftest import add_story


def test_a_communitys_many_stories_alike_leave_room_for_another_places(archive):
    told = add_story(archive, "Flut", "de", [(0.0, 4.0, "Das Hochwasser zerstörte unseren Keller und den Garten.")],
                     community="Görlitz")
    for year in range(1950, 1963):
        add_story(archive, f"Flut {year}", "de",
                  [(0.0, 4.0, f"Das Hochwasser kam im Jahr {year} und füllte den Keller mit Wasser.")],
                  community="görlitz")
    elsewhere = add_story(archive, "Powódź", "pl", [(0.0, 4.0, "Powódź zniszczyła naszą piwnicę i cały ogród.")],
                          community="Zgorzelec")
    meaning.index(archive)
    anyone = Viewer.anonymous()
    # the story page took the 12 closest and dropped its own community's: here all 12, and nothing was shown
    assert elsewhere not in {hit.story_id for hit in meaning.kindred(archive, told, anyone, limit=12)}
    found = meaning.kindred(archive, told, anyone, limit=5, apart_from="Görlitz")
    assert [hit.story_id for hit in found] == [elsewhere]
