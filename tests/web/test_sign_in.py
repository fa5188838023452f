"""Signing in and out of the web archive, and the admins' pages for people and the audit log."""

from __future__ import annotations

import re
import time
from dataclasses import replace

import pytest
from hypothesis import given, strategies as st
from starlette.testclient import TestClient

from storyatlas.archive import accounts, audit
from storyatlas.archive.policy import Viewer
from storyatlas.web.accounts import AUDIT_PAGE, local_path
from storyatlas.web.app import create_app

KEEPER = Viewer.keeper("cli:test")
PASSWORD = "correct horse battery"


def _token(client: TestClient, path: str = "/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def _sign_in(client: TestClient, name: str, password: str = PASSWORD, **more):
    data = {"csrf_token": _token(client), "name": name, "password": password, **more}
    return client.post("/login", data=data, follow_redirects=False)


def _session_cookie(response) -> str:
    [cookie] = [c for c in response.headers.get_list("set-cookie") if c.startswith("session=")]
    return cookie


def _actions(archive) -> list[tuple[str, str]]:
    return [(e.who, e.action) for e in reversed(audit.entries(archive, KEEPER, 1000))]


@pytest.fixture
def people(web_archive):
    accounts.add_user(web_archive, "Ada", PASSWORD, [("admin", None)], KEEPER)
    accounts.add_user(web_archive, "Rea", PASSWORD, [("researcher", None)], KEEPER)
    return web_archive


def test_signing_in_sets_a_guarded_session_cookie_and_goes_back(client, people):
    assert "Sign in" in client.get("/").text
    response = _sign_in(client, "ada", next="/search?q=flood")
    assert response.status_code == 303 and response.headers["location"] == "/search?q=flood"
    cookie = _session_cookie(response).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert f"max-age={accounts.ABSOLUTE_S}" in cookie  # kept when the browser closes, as long as it lasts
    assert "secure" not in cookie  # served over plain http (a laptop, a test)
    assert "Sign out (Ada)" in client.get("/").text
    assert client.get("/admin/users").status_code == 200


def test_the_cookie_is_secure_over_https(app, people):
    with TestClient(app, base_url="https://testserver") as client:
        assert "; secure" in _session_cookie(_sign_in(client, "Ada")).lower()
        assert client.get("/admin/users").status_code == 200  # and the browser sends it back over https


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"])
def test_a_sign_in_never_sends_the_visitor_to_another_site(client, people, target):
    assert _sign_in(client, "Ada", next=target).headers["location"] == "/"


@given(st.one_of(st.text(), st.text(alphabet="/\\:.@?#%\t\n ahtps").map(lambda t: "/" + t)))
def test_only_paths_of_this_site_are_followed(target):
    from urllib.parse import urlsplit

    kept = local_path(target)
    assert kept == "/" or kept == target
    # what a browser would make of it: tabs and line breaks dropped, backslashes as slashes
    seen = kept.replace("\\", "/").replace("\t", "").replace("\n", "").replace("\r", "")
    assert seen.startswith("/") and not seen.startswith("//")
    assert not urlsplit(seen).scheme and not urlsplit(seen).netloc


def test_the_sign_in_page_shows_its_form_to_a_visitor_and_sends_on_who_is_signed_in(client, people):
    # a visitor sent here by a page for people signed in is not sent back to it (a loop)
    assert 'name="password"' in client.get("/login?next=/admin/users", follow_redirects=False).text
    _sign_in(client, "Ada")
    sent = client.get("/login?next=/admin/users", follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == "/admin/users"
    assert 'name="password"' in client.get("/login").text  # to sign in as someone else


def test_signing_in_again_in_one_browser_ends_the_earlier_session(client, people):
    _sign_in(client, "Ada")
    first = client.cookies["session"]
    _sign_in(client, "Rea")
    assert accounts.viewer_for_session(people, first) == Viewer()
    assert "Sign out (Rea)" in client.get("/").text


def test_a_wrong_password_shows_the_form_again(client, people):
    response = _sign_in(client, "Ada", "wrong password!")
    assert response.status_code == 403 and "Wrong name or password" in response.text
    assert not [c for c in response.headers.get_list("set-cookie") if c.startswith("session=")]
    assert client.get("/admin/users", follow_redirects=False).status_code == 303


def test_repeated_wrong_passwords_for_a_name_are_refused_with_429(client, people):
    for _ in range(accounts.NAME_LIMIT):
        assert _sign_in(client, "Ada", "wrong password!").status_code == 403
    blocked = _sign_in(client, "Ada")  # the right password too
    assert blocked.status_code == 429 and "Too many failed sign-ins" in blocked.text
    assert 0 < int(blocked.headers["retry-after"]) <= accounts.FAILURE_WINDOW_S
    assert _sign_in(client, "Rea").status_code == 303  # another name from the same address still may


def test_the_wait_is_said_in_whole_minutes_rounded_up(client, people):
    at = time.time() - accounts.FAILURE_WINDOW_S + 90  # the oldest failure leaves the window in 90 s
    people.conn.executemany("INSERT INTO sign_in_failures (key, at) VALUES ('name:ada', ?)",
                            [(at + i * 0.001,) for i in range(accounts.NAME_LIMIT)])
    blocked = _sign_in(client, "Ada")
    assert blocked.status_code == 429 and 85 <= int(blocked.headers["retry-after"]) <= 90
    assert "Try again in 2 minutes." in blocked.text


@pytest.mark.slow
def test_repeated_wrong_passwords_from_an_address_are_refused_with_429(client, people):
    for i in range(accounts.ADDRESS_LIMIT):
        assert _sign_in(client, f"guess{i % 4}", "wrong password!").status_code == 403
    assert _sign_in(client, "Rea").status_code == 429


def test_a_sign_in_from_another_site_is_refused(client, people):
    data = {"csrf_token": _token(client), "name": "Ada", "password": PASSWORD}
    response = client.post("/login", data=data, headers={"origin": "https://evil.example"}, follow_redirects=False)
    assert response.status_code == 403
    assert not [c for c in response.headers.get_list("set-cookie") if c.startswith("session=")]
    refused = client.post("/login", data={**data, "csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403  # nor without the page's CSRF token


def test_a_session_cookie_from_another_installation_is_refused(app, settings, tmp_path, people):
    other = create_app(replace(settings, archive=tmp_path / "elsewhere"))
    accounts.add_user(other.state.archives.get(), "Ada", PASSWORD, [("admin", None)], KEEPER)
    with TestClient(other) as there, TestClient(app) as here:
        _sign_in(there, "Ada")
        assert there.get("/admin/users").status_code == 200
        here.cookies.set("session", there.cookies["session"])
        assert here.get("/admin/users", follow_redirects=False).status_code == 303  # anonymous here
        assert "Sign in" in here.get("/").text


def test_signing_out_ends_the_session_on_the_server(app, client, people):
    _sign_in(client, "Ada")
    token = client.cookies["session"]
    response = client.post("/logout", data={"csrf_token": _token(client, "/")}, follow_redirects=False)
    assert response.status_code == 303 and 'session=""' in _session_cookie(response)
    assert accounts.viewer_for_session(people, token) == Viewer()
    with TestClient(app) as stolen:  # the old cookie, kept by someone, no longer works
        stolen.cookies.set("session", token)
        assert stolen.get("/admin/users", follow_redirects=False).status_code == 303
    assert _actions(people)[-1] == ("Ada", "sign-out")


def _csrf_cookie(response) -> str:
    [cookie] = [c for c in response.headers.get_list("set-cookie") if c.startswith("csrf=")]
    return cookie.lower()


def test_a_pages_token_is_renewed_at_sign_in_and_out_and_follows_links_from_elsewhere(app, client, people):
    read_before = _token(client)  # by anyone at this browser, before Ada signs in
    signed_in = _sign_in(client, "Ada")
    assert _csrf_cookie(signed_in).startswith('csrf=""')  # gone: the next page makes a new one
    assert _token(client, "/admin/users") != read_before
    refused = client.post("/admin/users", data={"csrf_token": read_before, "action": "remove", "name": "Rea"})
    assert refused.status_code == 403 and len(accounts.list_users(people, KEEPER)) == 2
    now = _token(client, "/")
    out = client.post("/logout", data={"csrf_token": now}, follow_redirects=False)
    assert _csrf_cookie(out).startswith('csrf=""') and _token(client) != now
    # Lax, not Strict: a page opened from a link elsewhere (an email) carries the cookie
    # and keeps the token that forms open in other tabs hold
    with TestClient(app) as fresh:
        cookie = _csrf_cookie(fresh.get("/login"))
        assert "samesite=lax" in cookie and "httponly" in cookie and "secure" not in cookie
    with TestClient(app, base_url="https://testserver") as secure:
        assert "; secure" in _csrf_cookie(secure.get("/login"))


def test_a_head_request_reads_as_a_get_and_signs_no_one_in(client, people):
    assert client.head("/login").status_code == 200
    assert client.head("/upload").status_code == 200
    assert client.head("/admin/users", follow_redirects=False).headers["location"] == "/login?next=/admin/users"
    form = f"csrf_token={_token(client)}&name=Ada&password={PASSWORD.replace(' ', '+')}"
    head = client.request("HEAD", "/login", content=form, follow_redirects=False,
                          headers={"content-type": "application/x-www-form-urlencoded"})
    assert head.status_code == 200 and "session" not in client.cookies
    assert ("Ada", "sign-in") not in _actions(people)


def test_admin_pages_refuse_anyone_but_admins(app, client, people):
    anonymous = client.get("/admin/users", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login?next=/admin/users"
    assert client.get("/admin/audit", follow_redirects=False).headers["location"] == "/login?next=/admin/audit"
    data = {"csrf_token": _token(client), "action": "remove", "name": "Ada"}
    assert client.post("/admin/users", data=data).status_code == 403
    _sign_in(client, "Rea")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/audit").status_code == 403
    assert client.post("/admin/users", data={**data, "csrf_token": _token(client)}).status_code == 403
    assert [p.name for p in accounts.list_users(people, KEEPER)] == ["Ada", "Rea"]


def test_an_admin_manages_people_and_every_change_is_audited(app, client, people):
    _sign_in(client, "Ada")

    def post(**fields):
        return client.post("/admin/users", data={"csrf_token": _token(client, "/admin/users"), **fields})

    added = post(action="add", name="Mo", password=PASSWORD, password_again=PASSWORD, moderates="Zgorzelec")
    assert added.status_code == 200 and "Added Mo." in added.text
    assert "moderator of Zgorzelec" in added.text
    assert "Moderation (Zgorzelec)" in client.get("/admin/users", params={"lang": "de"}).text  # roles as read
    client.cookies.delete("lang")
    refused = post(action="add", name="Short", password="short", password_again="short", role_volunteer="1")
    assert refused.status_code == 422 and "at least 10 characters" in refused.text
    assert 'value="Short"' in refused.text and 'value="short"' not in refused.text  # no password echoed
    assert 'id="add-name" name="name" value=""' in added.text  # the form is empty again after an addition
    mistyped = post(action="add", name="Kai", password=PASSWORD, password_again=PASSWORD + "!", role_volunteer="1")
    assert mistyped.status_code == 422 and "The two passwords differ" in mistyped.text
    assert post(action="promote", name="Rea").status_code == 422
    assert [p.name for p in accounts.list_users(people, KEEPER)] == ["Ada", "Mo", "Rea"]

    with TestClient(app) as mo:  # Mo signs in elsewhere...
        _sign_in(mo, "Mo")
        assert "Sign out (Mo)" in mo.get("/").text
        changed = post(action="roles", name="Mo", role_researcher="1", member_of="Görlitz, Zgorzelec")
        assert changed.status_code == 200 and "member of Görlitz, member of Zgorzelec, researcher" in changed.text
        assert "Sign in" in mo.get("/").text  # ...and a change of roles signs them out
        _sign_in(mo, "Mo")
        removed = post(action="remove", name="Mo")
        assert removed.status_code == 200 and "Removed Mo" in removed.text
        assert "Sign in" in mo.get("/").text  # so does removing them

    actions = _actions(people)
    assert actions[actions.index(("Ada", "sign-in")):] == [
        ("Ada", "sign-in"), ("Ada", "user added"), ("Mo", "sign-in"), ("Ada", "roles changed"),
        ("Mo", "sign-in"), ("Ada", "user removed")]
    page = client.get("/admin/audit")
    assert page.status_code == 200 and "person removed" in page.text and "roles changed" in page.text
    german = client.get("/admin/audit", params={"lang": "de"}).text
    assert "Person entfernt" in german and "Rollen geändert" in german and "user removed" not in german
    assert "von testclient" in german and "from testclient" not in german  # the entries' details too


def test_the_audit_log_is_read_a_hundred_entries_a_page(client, people):
    _sign_in(client, "Ada")
    added = AUDIT_PAGE * 2 - audit.count(people, KEEPER)  # exactly two pages
    with people.transaction() as c:
        for i in range(added):
            audit.record(c, "cli:test", "consent changed", None, f"entry {i}")

    def shown(page):
        text = client.get("/admin/audit", params={"page": page}).text
        return re.findall(r"entry (\d+)<", text), "page=2" in text, "page=3" in text

    newest, older, beyond = shown(1)
    assert newest == [str(i) for i in range(added - 1, added - 1 - AUDIT_PAGE, -1)] and older and not beyond
    oldest, _, beyond = shown(2)
    assert oldest[0] == str(added - 1 - AUDIT_PAGE) and oldest[-1] == "0" and not beyond  # no link to nothing
    assert shown(0)[0] == shown(-3)[0] == shown("x")[0] == newest


def test_the_audit_page_says_when_the_last_backup_was_made(app, client, people, tmp_path):
    from storyatlas.archive.backup import backup

    _sign_in(client, "Ada")
    assert "No backup of this archive has been made" in client.get("/admin/audit").text
    backup(people, app.state.settings.media_dir, tmp_path / "backup", KEEPER)
    page = client.get("/admin/audit", params={"lang": "fr"}).text
    when = audit.last(people, KEEPER, "backup made").at.replace("T", " ").replace("Z", " UTC")
    assert f"La dernière sauvegarde a été faite le {when} par {KEEPER.label()}" in page
    assert "sauvegarde faite" in page and "Aucune sauvegarde" not in page


def test_every_action_the_audit_log_records_is_named_in_every_language():
    import ast
    from pathlib import Path

    import storyatlas
    from storyatlas.web.i18n import catalogs

    actions = set()
    for path in Path(storyatlas.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "record":
                actions |= {n.value for n in ast.walk(node.args[2]) if isinstance(n, ast.Constant)} \
                    if len(node.args) > 2 else set()
    assert {"sign-in", "publish", "decline", "erase", "redact", "consent"} <= actions
    for lang, messages in catalogs().items():
        for action in actions:
            assert "audit." + action.replace(" ", "_").replace("-", "_") in messages, (lang, action)


def test_failed_sign_ins_are_audited_with_the_address(client, people):
    _sign_in(client, "Ada", "wrong password!")
    [entry] = audit.entries(people, KEEPER, 1)
    assert (entry.who, entry.action, entry.detail) == ("Ada", "sign-in failed", "from testclient")


def test_the_old_moderator_sign_in_leads_to_the_sign_in_page(client):
    response = client.get("/moderate", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/moderate/review"
    assert client.get("/login").status_code == 200


def test_the_first_admin_comes_from_the_settings(settings):
    app = create_app(replace(settings, admin_password=PASSWORD))
    with TestClient(app) as client:
        assert _sign_in(client, "admin").status_code == 303
        assert client.get("/admin/users").status_code == 200


def test_without_any_setting_the_archive_serves(client):
    assert client.get("/").status_code == 200
    assert client.get("/login").status_code == 200


def test_the_old_moderator_password_setting_still_names_the_first_admin(caplog):
    from storyatlas.settings import load_settings

    old = load_settings(env={"STORYATLAS_MODERATOR_PASSWORD": PASSWORD})
    assert old.admin_password == PASSWORD
    assert "STORYATLAS_MODERATOR_PASSWORD is deprecated: set STORYATLAS_ADMIN_PASSWORD instead" in caplog.text
    both = load_settings(env={"STORYATLAS_MODERATOR_PASSWORD": "old", "STORYATLAS_ADMIN_PASSWORD": PASSWORD})
    assert both.admin_password == PASSWORD


def test_an_admin_signs_a_person_out_everywhere(tmp_path, known_words):
    from storyatlas.archive import Archive, Viewer, accounts
    from storyatlas.settings import Settings
    from storyatlas.web.app import create_app
    from starlette.testclient import TestClient

    settings = Settings(archive=tmp_path / "a", allowed_hosts=("testserver",))
    with Archive(settings.database) as archive:
        accounts.add_user(archive, "Ada", "a long admin password", [("admin", None)], Viewer.keeper())
        accounts.add_user(archive, "Jan", "a long member password", [("member", "Porto")], Viewer.keeper())
        token = accounts.start_session(archive, accounts.authenticate(archive, "Jan", "a long member password",
                                                                      "10.0.0.9").user_id, "10.0.0.9")
        assert accounts.viewer_for_session(archive, token).name == "Jan"
        assert accounts.sign_out_everywhere(archive, "Jan", Viewer.keeper()) == 1
        assert not accounts.viewer_for_session(archive, token).signed_in
        entries = archive.conn.execute("SELECT who, action, detail FROM audit WHERE action = 'sessions ended'").fetchall()
        assert [tuple(e) for e in entries] == [("archive keeper", "sessions ended", "Jan: 1")]
    app = create_app(settings)
    with TestClient(app) as client:
        page = client.get("/login")
        csrf = client.cookies["csrf"]
        client.post("/login", data={"csrf_token": csrf, "name": "Ada", "password": "a long admin password"})
        csrf = _token(client, "/admin/users")  # a new one once signed in
        done = client.post("/admin/users", data={"csrf_token": csrf, "action": "signout", "name": "Jan"})
        assert done.status_code == 200 and "Jan is signed out everywhere." in done.text
        assert page.status_code == 200


def test_the_codes_in_audit_entries_and_consent_history_are_named_in_the_readers_language(client, people):
    """Roles, who may hear a story, its review state: codes for the command line, words on a page."""
    from storyatlas.archive import consent, index_points
    from tests.conftest import add_story

    story = add_story(people, "Codes", "en", [(0, 4, "A line.")], community="Zgorzelec")
    accounts.set_roles(people, "Rea", [("moderator", "Zgorzelec")], KEEPER)
    consent.change(people, story, consent.Consent(visibility="private", exportable=False), KEEPER)
    index_points.set_review_state(people, story, "reviewed", KEEPER)
    english = [e.detail for e in audit.entries(people, KEEPER, 4)]
    assert english == ["published -> reviewed", "exportable: 1 -> 0", "visibility: public -> private",
                       "Rea: researcher -> moderator of Zgorzelec"]  # as the command line has always read them

    _sign_in(client, "Ada")
    german = client.get("/admin/audit", params={"lang": "de"}).text
    for detail in ("Veröffentlicht -&gt; Geprüft", "In Exporten: ja -&gt; nein",
                   "Wer sie hören darf: Alle -&gt; Nur das Team des Archivs",
                   "Rea: Forschende:r -&gt; Moderation (Zgorzelec)", "Ada: Admin"):
        assert f"<td>{detail}</td>" in german
    history = client.get(f"/moderate/stories/{story}", params={"lang": "de"}).text
    assert "<td>Wer sie hören darf</td><td>Alle</td><td>Nur das Team des Archivs</td>" in history
    assert "<td>In Exporten</td><td>ja</td><td>nein</td>" in history
