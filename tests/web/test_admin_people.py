"""The admins' page for people, with names and communities that once went astray."""

from __future__ import annotations

import html
import re

from storyatlas.archive import accounts
from storyatlas.archive.policy import Viewer

KEEPER = Viewer.keeper("cli:test")
PASSWORD = "correct horse battery"


def _token(client, path: str = "/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def _sign_in(client, name: str) -> None:
    data = {"csrf_token": _token(client), "name": name, "password": PASSWORD}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303


def _shown(page: str, field: str) -> str:
    """A field of the roles form as the browser sends it back."""
    return html.unescape(re.search(rf'id="p2-{field}" name="\w+" value="([^"]*)"', page).group(1))


def test_saving_a_persons_roles_keeps_a_collection_whose_name_holds_a_comma(client, web_archive):
    # the form listed "Floods, 1997, Zgorzelec": saving it (to tick one more role) made Mo the
    # moderator of "Floods" and of "1997", and of the collection no more
    accounts.add_user(web_archive, "Ada", PASSWORD, [("admin", None)], KEEPER)
    accounts.add_user(web_archive, "Mo", PASSWORD, [("moderator", "Floods, 1997"), ("moderator", "Zgorzelec"),
                                                    ("member", 'The "Old" Town, North')], KEEPER)
    _sign_in(client, "Ada")
    page = client.get("/admin/users").text
    saved = client.post("/admin/users", data={
        "csrf_token": _token(client, "/admin/users"), "action": "roles", "name": "Mo", "role_volunteer": "1",
        "moderates": _shown(page, "moderates"), "member_of": _shown(page, "member")})
    assert saved.status_code == 200
    [mo] = [p for p in accounts.list_users(web_archive, KEEPER) if p.name == "Mo"]
    assert mo.roles == (("member", 'The "Old" Town, North'), ("moderator", "Floods, 1997"),
                        ("moderator", "Zgorzelec"), ("volunteer", None))


def test_communities_typed_with_commas_are_still_several(client, web_archive):
    accounts.add_user(web_archive, "Ada", PASSWORD, [("admin", None)], KEEPER)
    _sign_in(client, "Ada")
    added = client.post("/admin/users", data={
        "csrf_token": _token(client, "/admin/users"), "action": "add", "name": "Kai", "password": PASSWORD,
        "password_again": PASSWORD, "member_of": "Görlitz, Zgorzelec,, ", "moderates": '"Floods, 1997"'})
    assert added.status_code == 200
    [kai] = [p for p in accounts.list_users(web_archive, KEEPER) if p.name == "Kai"]
    assert kai.roles == (("member", "Görlitz"), ("member", "Zgorzelec"), ("moderator", "Floods, 1997"))
