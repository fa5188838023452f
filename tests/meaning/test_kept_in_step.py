"""The meaning index's rows stay with the segments they were made from, whatever happens to
those segments while the indexer encodes them."""

from __future__ import annotations

import numpy as np

from storyatlas import meaning
from storyatlas.archive import Viewer, corrections
from storyatlas.archive import vectors as rows
from tests.conftest import add_story

KEEPER = Viewer.keeper("cli:test")


def test_a_vector_is_not_written_for_a_line_whose_id_another_storys_line_took_while_it_was_encoded(archive):
    public = add_story(archive, "Public", "en", [(0.0, 2.0, "Goodbye."), (2.0, 4.0, "Thank you.")])
    todo = rows.unindexed(archive, meaning.model())
    gone = archive.segments(public, KEEPER)[1]
    # the last two lines merged: the last row goes, and the next segment made takes its id
    corrections.merge(archive, public, archive.segments(public, KEEPER)[0].id, KEEPER, base=None)
    # numbers are not given twice (ids_given), unless the archive was restored over one it could not read
    archive.conn.execute("UPDATE ids_given SET last = 0")
    hidden = add_story(archive, "Private", "en", [(0.0, 2.0, "Thank you.")], visibility="private",
                       community="Elsewhere")
    taken = archive.segments(hidden, KEEPER)[0]
    assert taken.id == gone.id and taken.text == gone.text
    assert rows.store(archive, meaning.model(), zip(todo, np.ones((len(todo), 384), np.float32))) == 0
    # it was written under the public story's id: the private line had a vector and was never made
    # again, a hit said to be of the public story
    assert archive.conn.execute("SELECT count(*) FROM segment_vectors").fetchone()[0] == 0
    assert {(u.segment_id, u.story_id) for u in rows.unindexed(archive, meaning.model())} >= {(taken.id, hidden)}


def test_others_lived_this_too_compares_a_storys_first_passages_as_told_however_they_are_held(archive,
                                                                                              monkeypatch):
    told = add_story(archive, "Damm", "de", [
        (0.0, 4.0, "Ich heiße Klaus und wohne seit vierzig Jahren in dieser Stadt."),
        (4.0, 8.0, "Meine Mutter arbeitete in der Bäckerei am Markt.")], community="Görlitz")
    flood = add_story(archive, "Powódź", "pl", [(0.0, 4.0, "Powódź zniszczyła naszą piwnicę i cały ogród.")],
                      community="Zgorzelec")
    add_story(archive, "Bread", "en", [(0.0, 4.0, "My grandmother baked bread every Sunday.")], community="Porto")
    meaning.index(archive)
    monkeypatch.setattr(meaning, "KINDRED_PASSAGES", 1)

    def kindred() -> list[int]:
        return [hit.story_id for hit in meaning.kindred(archive, told, KEEPER)]

    meaning._memory.forget()
    assert flood not in kindred()  # its first passage is Klaus saying who he is
    first = archive.segments(told, KEEPER)[0]
    corrections.set_text(archive, told, first.id, "Das Hochwasser zerstörte unseren Keller und den Garten.", KEEPER,
                         base=None)
    meaning.index(archive)
    # now the flood: held since before the correction, its new vector came after the bakery's, which
    # was compared instead (the bread story, not the flood), until the process read every vector again
    held = kindred()
    meaning._memory.forget()
    assert held == kindred() and flood in held
    meaning._memory.forget()
