"""The library's messages in the reader's language: every one made with ``errors.said``,
and every catalog holding each of them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import storyatlas
from storyatlas import errors
from storyatlas.errors import said, said_as_json, said_from_json
from storyatlas.web.i18n import Translator, catalogs, error_catalogs
from tests.conftest import cut_short

PACKAGE = Path(storyatlas.__file__).parent
ERRORS = {name for name, value in vars(errors).items()
          if isinstance(value, type) and issubclass(value, errors.StoryAtlasError)}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def _templates() -> dict[str, str]:
    """Every template given to ``said``, with where it is."""
    found = {}
    for path, tree in _modules():
        if path.name == "errors.py":  # where said is made, and stored messages said again
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "said":
                where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
                assert node.args and isinstance(node.args[0], ast.Constant), f"{where}: said() takes a literal"
                found.setdefault(node.args[0].value, where)
    return found


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"{[^{}]*}", text))


def test_every_message_for_people_is_made_with_said():
    """A message written as a plain string stays English on every page. The command line's
    own modules speak English only."""
    plain = []
    for path, tree in _modules():
        if path.name.startswith("cli") or path.name == "settings.py":  # the operator's, at start
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ERRORS and node.args
                    and isinstance(node.args[0], (ast.Constant, ast.JoinedStr, ast.BinOp))):
                plain.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert plain == []


def test_every_catalog_holds_every_library_message_with_its_placeholders():
    templates = _templates()
    assert len(templates) > 100
    assert set(error_catalogs()) == set(catalogs()) - {"en"}
    for code, catalog in error_catalogs().items():
        assert sorted(set(templates) - set(catalog)) == [], code
        assert sorted(set(catalog) - set(templates)) == [], code  # none left behind by an edit
        for template, text in catalog.items():
            assert _placeholders(text) == _placeholders(template), (code, template)


def test_a_message_is_said_in_the_readers_language_with_its_values():
    message = said("at most {count} files in one upload", count=20)
    assert message == "at most 20 files in one upload"
    assert Translator("de").said(message) != message and "20" in Translator("de").said(message)
    assert Translator("en").said(message) == message
    assert Translator("de").said("text not made with said") == "text not made with said"
    big = said("the file is {size:.1f} GiB, over the {limit:g} GiB limit; split it or raise "
               "STORYATLAS_MAX_FILE_BYTES", size=4.13, limit=4.0)
    assert "4.1 GiB" in big and "4,1 GiB" in Translator("de").said(big)  # the reader's decimal mark
    rate = said("the recording declares {rate:,} samples a second, outside the {low:,} to {high:,} of real "
                "recordings; the file is damaged or not a real recording: export it again from the recorder or "
                "phone", rate=1234567, low=4000, high=192000)
    assert "1.234.567" in Translator("it").said(rate) and "1,234,567" in rate


def test_a_stored_message_is_said_in_the_readers_language_again():
    inner = said("the file is empty (0 bytes); copy it again from the device")
    outer = said("the upload arrived incomplete or malformed ({detail}); send it again", detail=inner)
    restored = said_from_json(str(outer), said_as_json(outer))
    assert restored == outer
    assert Translator("fr").said(restored) == Translator("fr").said(outer)
    assert Translator("fr").said(inner) in Translator("fr").said(restored)
    assert said_from_json("old English", None) == "old English"


def test_a_stored_code_is_named_in_the_readers_language_again():
    """An audit entry's review states: stored, then read back in German as the page names them."""
    change = said("{before} -> {after}", before=errors.named("review", "draft"),
                  after=errors.named("review", "reviewed"))
    restored = said_from_json(str(change), said_as_json(change))
    assert restored == "draft -> reviewed"
    assert Translator("de").said(restored) == Translator("de").said(change) == "Maschinenentwurf -> Geprüft"


def _in(lang: str, template: str, **values) -> str:
    return Translator(lang).said(said(template, **values))


def test_an_upload_that_is_not_a_recording_is_refused_in_the_readers_language(client, settings):
    """A Polish storyteller was told "not a recording that can be read" in English."""
    notes = b"This is not a recording, just notes with a misleading name.\n" * 20
    refused = _in("pl", "not a recording that can be read (not audio or video, or damaged beyond repair); "
                        "check that it is the file you meant")
    assert refused != str(said("not a recording that can be read (not audio or video, or damaged beyond repair); "
                               "check that it is the file you meant"))
    client.get("/upload", params={"lang": "pl"})  # the page's form and its token, in Polish
    page = client.post("/upload", data={"csrf_token": client.cookies["csrf"]},
                       files={"files": ("notatki.mp3", notes, "audio/mpeg")})
    assert page.status_code == 422 and f"notatki.mp3: {refused}" in page.text
    assert str(settings.media_dir) not in page.text  # nor the file's name on the server

    client.cookies.delete("lang")  # the page above chose Polish for later requests
    answer = client.post("/api/stories", files={"files": ("notes.mp3", notes, "audio/mpeg")},
                         headers={"accept-language": "fr-CH, fr;q=0.9"}).json()
    assert answer["stories"][0]["error"] == "notes.mp3: " + _in("fr", "not a recording that can be read (not "
                                                                "audio or video, or damaged beyond repair); "
                                                                "check that it is the file you meant")


def test_a_copy_cut_short_is_taken_in_and_the_sender_told_in_their_language(client, tmp_path):
    half = cut_short(tmp_path).read_bytes()
    client.get("/upload", params={"lang": "pl"})
    page = client.post("/upload", data={"csrf_token": client.cookies["csrf"]},
                       files={"files": ("nagranie.flac", half, "audio/flac")})
    assert page.status_code == 201
    assert "Według pliku nagranie trwa 01:00, ale udało się je zdekodować tylko do" in page.text

    client.cookies.delete("lang")
    other = half + b"\0"  # another file, not the one sent above
    answer = client.post("/api/stories", files={"files": ("enregistrement.flac", other, "audio/flac")},
                         headers={"accept-language": "fr"}).json()
    assert answer["stories"][0]["notice"].startswith("le fichier indique une durée de 01:00, mais il n'a pu")


def test_an_api_error_is_in_the_language_the_request_asks_for(client):
    german = client.get("/api/stories/42", headers={"accept-language": "de"}).json()
    assert german == {"error": _in("de", "there is no story {story}: `storyatlas stories` lists them", story=42),
                      "status": 404}
    assert "42" in german["error"] and "there is no story" not in german["error"]


def test_why_a_story_failed_is_said_in_the_readers_language(client, web_archive, settings):
    """Stored as the worker said it, shown in each reader's language, without the server's paths."""
    from storyatlas.archive import StoryMetadata, Viewer
    from storyatlas.ingest import ingest_file
    from storyatlas.jobs import process_job
    from tests.conftest import story_file

    result = ingest_file(web_archive, story_file("de"), StoryMetadata(language_hint="de"), settings,
                         Viewer.keeper())
    job = process_job(settings, result.job_id, archive=web_archive)  # tiny.en cannot do German
    assert job.state == "failed" and "--model base" in job.message  # the command line's English

    english = web_archive.job(result.job_id).message
    italian = Translator("it").said(english)
    assert italian != english and "--model base" in italian
    page = client.get(f"/stories/{result.story_id}", params={"lang": "it"}).text
    assert italian in page.replace("&#39;", "'").replace("&#34;", '"')
    client.cookies.delete("lang")  # the page above chose Italian for later requests
    progress = client.get(f"/api/stories/{result.story_id}/progress", headers={"accept-language": "it"}).json()
    assert progress["job"]["message"] == italian
    assert client.get(f"/api/stories/{result.story_id}/progress").json()["job"]["message"] == english


def test_an_unexpected_error_is_logged_and_said_in_the_readers_language(app, monkeypatch, caplog):
    from starlette.testclient import TestClient

    from storyatlas.archive import Archive

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(Archive, "stories", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        page = client.get("/", headers={"accept-language": "es"})
        answer = client.get("/api/stories", headers={"accept-language": "pl"})
    spanish = _in("es", "an unexpected error happened; it has been logged")
    assert page.status_code == 500 and spanish[0].upper() + spanish[1:] in page.text
    assert answer.json() == {"error": _in("pl", "an unexpected error happened; it has been logged"), "status": 500}
    assert "a bug" not in page.text and "a bug" in caplog.text


@pytest.mark.parametrize("error, status", [
    (errors.NotFound("x"), 404), (errors.AccessDenied("x"), 403), (errors.Conflict("x"), 409),
    (errors.UploadError("x", status=413), 413), (errors.SignInRefused("x", status=429), 429),
    (errors.MediaError("x"), 422), (errors.SearchError("x"), 422), (errors.VocabularyError("x"), 422),
    (errors.AccountError("x"), 422), (errors.IndexPointError("x"), 422), (errors.CorrectionError("x"), 422),
    (errors.ConfigurationError("x"), 500), (errors.ConsentError("x"), 400),
], ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v))
def test_each_kind_of_error_is_answered_with_its_status(app, monkeypatch, error, status):
    """The one place errors become answers: the same status for the JSON and the page."""
    from starlette.testclient import TestClient

    from storyatlas.archive import Archive

    def refused(*args, **kwargs):
        raise error

    monkeypatch.setattr(Archive, "stories", refused)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/api/stories").json() == {"error": "x", "status": status}
        assert client.get("/").status_code == status


def test_a_message_standing_alone_on_a_page_reads_as_a_sentence(client):
    page = client.get("/mine/not-a-token", headers={"accept-language": "de"})
    reason = _in("de", "this link does not open any story: it may be mistyped, or the story was withdrawn")
    assert page.status_code == 403 and reason[0].islower()
    assert reason[0].upper() + reason[1:] in page.text


def test_an_address_asked_the_wrong_way_is_explained_in_the_readers_language(client):
    from storyatlas.web.i18n import Translator

    page = client.post("/", headers={"accept-language": "it"})
    assert page.status_code == 405 and Translator("it")("error.method").replace("'", "&#39;") in page.text
    answer = client.delete("/api/stories", headers={"accept-language": "fr"}).json()
    assert answer == {"error": Translator("fr")("error.method"), "status": 405}
    nowhere = client.get("/api/nowhere", headers={"accept-language": "pl"}).json()
    assert nowhere == {"error": Translator("pl")("error.not_found"), "status": 404}
    description = client.post("/openapi.json", headers={"accept-language": "de"}).json()
    assert description == {"error": Translator("de")("error.method"), "status": 405}


def test_a_list_of_messages_is_said_one_after_the_other_in_the_readers_language():
    empty = said("the file is empty (0 bytes); copy it again from the device")
    silent = said("the story was erased")
    both = said("no story of collection {name!r} could be exported as asked: {reasons}", name="Flut",
                reasons=[empty, silent])
    assert both == f"no story of collection 'Flut' could be exported as asked: {empty}; {silent}"
    french = Translator("fr")
    assert f"{french.said(empty)}; {french.said(silent)}" in french.said(both)
    restored = said_from_json(str(both), said_as_json(both))
    assert restored == both and french.said(restored) == french.said(both)


def test_a_value_that_is_not_plain_json_does_not_stop_a_message_being_stored():
    from pathlib import Path

    odd = said("cannot read the transcript {path}: {detail}", path=Path("/srv/river.vtt"), detail="gone")
    assert said_from_json(str(odd), said_as_json(odd)) == "cannot read the transcript /srv/river.vtt: gone"
