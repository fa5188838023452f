"""An archive in a folder whose name holds characters that mean something in a URI
("#", "?", "%"): every read-only connection the searches open reads that archive, and
none makes an empty database where the name was cut. A consent's embargo date is a
whole date, not one followed by a line end. A media folder that is a file is said."""

from pathlib import Path

import pytest

from storyatlas.archive import Archive
from storyatlas.archive.consent import Consent
from storyatlas.errors import ConsentError, MediaError
from storyatlas.ingest.store import claim_scratch
from storyatlas.search import parts, vocabulary
from tests.conftest import add_story

ODD = "a#b?c%20d"


@pytest.fixture
def odd_archive(tmp_path: Path):
    with Archive(tmp_path / ODD / "archive.db") as archive:
        for i in range(3):
            add_story(archive, f"Flood {i}", "en", [(0.0, 2.0, "The flood filled the cellar.")])
        yield archive


def _left_beside(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != ODD)


def test_did_you_mean_reads_the_words_of_an_archive_in_a_folder_named_with_uri_characters(odd_archive, tmp_path):
    # as a server starts (vocabulary.warm), and after a large archive changes: "file:.../a#b?c%20d/
    # archive.db?mode=ro" opened ".../a", an empty database made there, and no word was offered
    vocabulary._reread(str(odd_archive.path), None)
    state, words = vocabulary._vocabularies.pop(str(odd_archive.path))
    assert words.size > 0
    assert _left_beside(tmp_path) == []


def test_a_part_read_elsewhere_reads_an_archive_in_a_folder_named_with_uri_characters(odd_archive, tmp_path):
    state = (odd_archive.identity(), odd_archive.generation())
    part = parts._read_elsewhere(str(odd_archive.path), state, '"en_flood"', (0, (1 << 63) - 1))
    assert part is not None and len(part) == 3  # None: read again on the searcher's own connection
    assert _left_beside(tmp_path) == []


@pytest.mark.parametrize("date", ["2030-01-31\n", "２０３０-01-31", " 2030-01-31"])
def test_an_embargo_date_is_a_whole_date(date):
    with pytest.raises(ConsentError, match="looks like 2030-01-31"):
        Consent(embargo_until=date).validated()
    assert Consent(embargo_until="2030-01-31").validated().embargo_until == "2030-01-31"


def test_a_media_folder_that_is_a_file_is_said_at_start(tmp_path):
    (tmp_path / "media").write_text("not a folder")
    with pytest.raises(MediaError, match="^cannot use the media folder .*media .*move aside what is there"):
        claim_scratch(tmp_path / "media")
    assert (tmp_path / "media").read_text() == "not a folder"
