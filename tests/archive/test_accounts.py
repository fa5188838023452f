"""People, roles, sign-in and sessions, on a real archive."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time

import pytest

from storyatlas.archive import Archive, accounts, audit
from storyatlas.archive.policy import Viewer
from storyatlas.errors import AccessDenied, AccountError, ConfigurationError, NotFound, SignInRefused

KEEPER = Viewer.keeper("cli:test")
PASSWORD = "correct horse battery"


def _actions(archive) -> list[tuple[str, str]]:
    return [(e.who, e.action) for e in reversed(audit.entries(archive, KEEPER, 1000))]


def test_passwords_are_hashed_with_argon2(archive):
    user_id = accounts.add_user(archive, "Ada", PASSWORD, [("admin", None)], KEEPER)
    stored = archive.conn.execute("SELECT password_hash FROM users WHERE id = ?", (user_id,)).fetchone()[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_a_short_password_is_refused_with_what_to_do(archive):
    with pytest.raises(AccountError, match="at least 10 characters"):
        accounts.add_user(archive, "Ada", "short", [], KEEPER)


def test_names_are_unique_whatever_their_case(archive):
    accounts.add_user(archive, "Ada", PASSWORD, [], KEEPER)
    with pytest.raises(AccountError, match="already a person named 'Ada'"):
        accounts.add_user(archive, "ada", PASSWORD, [], KEEPER)


@pytest.mark.parametrize("again", ["Zoe\u0308", "ZOË", "zoe\u0308", " Zoë "])
def test_a_name_is_one_person_however_its_accents_and_case_are_typed(archive, again):
    # "Zoë" with a combining diaeresis looked the same and was a second person; SQLite's
    # NOCASE folds only ASCII, so "ZOË" was another too
    accounts.add_user(archive, "Zo\u00eb", PASSWORD, [], KEEPER)
    with pytest.raises(AccountError, match="already a person named 'Zo\u00eb'"):
        accounts.add_user(archive, again, PASSWORD, [], KEEPER)
    assert accounts.authenticate(archive, again, PASSWORD, "127.0.0.1").name == "Zo\u00eb"
    accounts.set_roles(archive, again, [("volunteer", None)], KEEPER)
    assert [p.name for p in accounts.list_users(archive, KEEPER)] == ["Zo\u00eb"]


def test_community_roles_need_a_community_and_others_take_none(archive):
    with pytest.raises(AccountError, match="held for a community"):
        accounts.add_user(archive, "Ada", PASSWORD, [("moderator", None)], KEEPER)
    with pytest.raises(AccountError, match="whole archive"):
        accounts.add_user(archive, "Ada", PASSWORD, [("researcher", "Zgorzelec")], KEEPER)
    with pytest.raises(AccountError, match="unknown role"):
        accounts.add_user(archive, "Ada", PASSWORD, [("owner", None)], KEEPER)


def test_names_roles_and_communities_are_kept_as_people_mean_them(archive):
    accounts.add_user(archive, "  Ada \t Lovelace ", PASSWORD,
                      [(" Moderator ", "  Zgorzelec   Old Town "), ("moderator", "zgorzelec old town"),
                       ("MEMBER", "Görlitz"), ("Researcher", None)], KEEPER)
    accounts.add_user(archive, "bea", PASSWORD, [], KEEPER)
    accounts.add_user(archive, "Cy", PASSWORD, [], KEEPER)
    person, *others = accounts.list_users(archive, KEEPER)
    assert [p.name for p in others] == ["bea", "Cy"]  # by name, whatever its case
    assert person.name == "Ada Lovelace"
    assert person.roles == (("member", "Görlitz"), ("moderator", "Zgorzelec Old Town"),  # the same community once
                            ("researcher", None))
    accounts.set_password(archive, " Ada  Lovelace", "a new and longer one", KEEPER)  # found as typed in a form
    assert accounts.authenticate(archive, "Ada Lovelace", "a new and longer one", "10.0.0.1").name == "Ada Lovelace"


@pytest.mark.parametrize("name, password, community, refused", [
    ("", PASSWORD, "Alder", "a person needs a name"),
    (" \t ", PASSWORD, "Alder", "a person needs a name"),
    ("\u3164", PASSWORD, "Alder", "a person needs a name"),  # a Hangul filler: a name that shows nothing
    ("\u2800 \ufe0f", PASSWORD, "Alder", "a person needs a name"),
    ("A" * 65, PASSWORD, "Alder", "at most 64 printable characters"),
    ("Ada\x07", PASSWORD, "Alder", "at most 64 printable characters"),
    ("Ada", "nine char", "Alder", "at least 10 characters"),
    ("Ada", "x" * 1025, "Alder", "at most 1024 characters"),
    ("Ada", PASSWORD, "C" * 201, "a community name is at most 200 characters"),
])
def test_what_a_name_a_password_and_a_community_may_be(archive, name, password, community, refused):
    with pytest.raises(AccountError, match=refused):
        accounts.add_user(archive, name, password, [("member", community)], KEEPER)
    assert accounts.count_users(archive) == 0


def test_a_name_a_password_and_a_community_at_their_limits_are_taken(archive):
    accounts.add_user(archive, "A" * 64, "ten chars!", [("member", "C" * 200)], KEEPER)
    assert accounts.count_users(archive) == 1


def test_only_admins_change_people(archive):
    moderator = Viewer(name="Mo", roles=frozenset({"moderator"}), moderates=frozenset({"Zgorzelec"}))
    with pytest.raises(AccessDenied):
        accounts.add_user(archive, "Ada", PASSWORD, [("admin", None)], moderator)
    with pytest.raises(AccessDenied):
        accounts.list_users(archive, Viewer())
    with pytest.raises(AccessDenied):
        audit.entries(archive, moderator, 10, 0)
    accounts.add_user(archive, "Ada", PASSWORD, [("admin", None)], KEEPER)
    with pytest.raises(AccessDenied):  # not even how many entries there are
        audit.count(archive, moderator)
    assert audit.count(archive, KEEPER) == 1
    # SQLite reads a negative LIMIT as none at all: a page is never more than asked
    assert audit.entries(archive, KEEPER, -1) == [] and len(audit.entries(archive, KEEPER, 1, -5)) == 1


def test_a_viewer_gets_the_roles_and_communities_of_their_account(archive):
    accounts.add_user(archive, "Mo", PASSWORD, [("moderator", "Zgorzelec"), ("member", "Görlitz"),
                                                ("researcher", None)], KEEPER)
    who = accounts.authenticate(archive, "mo", PASSWORD, "10.0.0.1")
    assert who.name == "Mo" and who.roles == {"moderator", "member", "researcher"}
    assert who.moderates == {"zgorzelec"}
    assert who.member_of == {"zgorzelec", "görlitz"}  # a moderator is a member of what they moderate
    assert who.is_moderator and not who.is_admin
    [person] = accounts.list_users(archive, KEEPER)
    assert person.roles_text() == "member of Görlitz, moderator of Zgorzelec, researcher"


def test_a_wrong_password_is_refused_and_audited(archive):
    accounts.add_user(archive, "Ada", PASSWORD, [], KEEPER)
    with pytest.raises(SignInRefused, match="wrong name or password") as refused:
        accounts.authenticate(archive, "Ada", "wrong password!", "10.0.0.1")
    assert refused.value.status == 403
    with pytest.raises(SignInRefused, match="wrong name or password"):
        accounts.authenticate(archive, "my secret passphrase", "", "10.0.0.1")  # the same answer
    accounts.authenticate(archive, "Ada", PASSWORD, "10.0.0.1")
    entries = audit.entries(archive, KEEPER, 10)
    assert [(e.who, e.action, e.detail) for e in reversed(entries)] == [
        ("cli:test", "user added", "Ada: no role"),
        ("Ada", "sign-in failed", "from 10.0.0.1"),
        ("(no such person)", "sign-in failed", "from 10.0.0.1; no such person"),
        ("Ada", "sign-in", "from 10.0.0.1"),
    ]
    assert all("wrong password" not in (e.detail or "") for e in entries)  # never a password,
    assert all("passphrase" not in e.who for e in entries)  # nor one typed where the name goes


def test_an_overlong_password_is_refused_without_being_hashed(archive, monkeypatch):
    """Argon2 over a megabyte a try would let anyone keep the server's cores busy."""
    accounts.add_user(archive, "Ada", PASSWORD, [], KEEPER)
    hashed = []
    monkeypatch.setattr(accounts, "_verify", lambda *args: hashed.append(args) or False)
    with pytest.raises(SignInRefused, match="wrong name or password"):
        accounts.authenticate(archive, "Ada", "x" * (accounts.MAX_PASSWORD + 1), "10.0.0.1")
    assert hashed == []


def test_an_unknown_name_costs_as_much_as_a_wrong_password(archive):
    accounts.add_user(archive, "Ada", PASSWORD, [], KEEPER)

    def timed(name: str) -> float:
        start = time.perf_counter()
        with pytest.raises(SignInRefused):
            accounts.authenticate(archive, name, "wrong password!", None)
        return time.perf_counter() - start

    timed("Nobody")  # the dummy hash is made once
    known, unknown = min(timed("Ada") for _ in range(2)), min(timed(f"Nobody{i}") for i in range(2))
    assert unknown > known / 3  # both run Argon2; without the dummy hash an unknown name is ~1000x faster


def test_five_failures_for_a_name_block_it_even_with_the_right_password(archive):
    accounts.add_user(archive, "Ada", PASSWORD, [], KEEPER)
    now = 1_000_000.0
    for i in range(accounts.NAME_LIMIT):
        with pytest.raises(SignInRefused) as refused:
            accounts.authenticate(archive, "Ada", "wrong password!", f"10.0.0.{i}", now=now + i)
        assert refused.value.status == 403
    with pytest.raises(SignInRefused, match="too many failed sign-ins for this name: try again in 15 minutes") as e:
        accounts.authenticate(archive, "ADA", PASSWORD, "10.9.9.9", now=now + 10)
    assert e.value.status == 429 and e.value.retry_after == accounts.FAILURE_WINDOW_S - 10
    with pytest.raises(SignInRefused, match="try again in 14 minutes") as e:  # 13 min 19.5 s, rounded up
        accounts.authenticate(archive, "Ada", PASSWORD, "10.9.9.9", now=now + 100.5)
    assert e.value.retry_after == 800
    # once the oldest failure has left the window, the right password works again
    assert accounts.authenticate(archive, "Ada", PASSWORD, "10.9.9.9", now=now + accounts.FAILURE_WINDOW_S + 1).name == "Ada"


@pytest.mark.slow
def test_twenty_failures_from_an_address_block_it(archive):
    accounts.add_user(archive, "Ada", PASSWORD, [], KEEPER)
    now = 2_000_000.0
    for i in range(accounts.ADDRESS_LIMIT):
        with pytest.raises(SignInRefused):
            accounts.authenticate(archive, f"guess{i % 4}", "wrong password!", "10.6.6.6", now=now)
    with pytest.raises(SignInRefused, match="from this address") as refused:
        accounts.authenticate(archive, "Ada", PASSWORD, "10.6.6.6", now=now + 1)
    assert refused.value.status == 429
    # the same person from elsewhere is not blocked
    assert accounts.authenticate(archive, "Ada", PASSWORD, "10.0.0.1", now=now + 1).name == "Ada"


def test_a_success_forgives_the_failures_of_the_name(archive):
    accounts.add_user(archive, "Ada", PASSWORD, [], KEEPER)
    for _ in range(accounts.NAME_LIMIT - 1):
        with pytest.raises(SignInRefused):
            accounts.authenticate(archive, "Ada", "wrong password!", "10.0.0.1")
    accounts.authenticate(archive, "Ada", PASSWORD, "10.0.0.1")
    with pytest.raises(SignInRefused) as refused:
        accounts.authenticate(archive, "Ada", "wrong password!", "10.0.0.1")
    assert refused.value.status == 403  # counting starts again


@pytest.mark.slow
def test_successes_are_no_failures_and_old_failures_are_forgotten(archive):
    accounts.add_user(archive, "Ada", PASSWORD, [], KEEPER)
    now = 3_000_000.0
    for i in range(accounts.ADDRESS_LIMIT + 1):  # a shared office's address signs in all day
        assert accounts.authenticate(archive, "Ada", PASSWORD, "10.6.6.6", now=now + i).name == "Ada"
    for i in range(3):
        with pytest.raises(SignInRefused):
            accounts.authenticate(archive, f"guess{i}", "wrong password!", "10.6.6.6", now=now + 100)
    accounts.authenticate(archive, "Ada", PASSWORD, "10.0.0.1", now=now + 100 + accounts.FAILURE_WINDOW_S)
    assert archive.conn.execute("SELECT count(*) FROM sign_in_failures").fetchone()[0] == 0


def test_a_password_hashed_with_weaker_settings_is_hashed_again_at_sign_in(archive):
    from argon2 import PasswordHasher

    user_id = accounts.add_user(archive, "Ada", PASSWORD, [], KEEPER)
    weak = PasswordHasher(time_cost=1, memory_cost=1024).hash(PASSWORD)  # as an older release made them
    archive.conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (weak, user_id))
    accounts.authenticate(archive, "Ada", PASSWORD, "10.0.0.1")
    stored = archive.conn.execute("SELECT password_hash FROM users WHERE id = ?", (user_id,)).fetchone()[0]
    assert stored != weak and not PasswordHasher().check_needs_rehash(stored)
    assert accounts.authenticate(archive, "Ada", PASSWORD, "10.0.0.1").name == "Ada"


def test_a_session_stores_only_the_hash_of_its_token(archive):
    user_id = accounts.add_user(archive, "Ada", PASSWORD, [("admin", None)], KEEPER)
    token = accounts.start_session(archive, user_id, "10.0.0.1")
    [stored] = [r[0] for r in archive.conn.execute("SELECT id FROM sessions")]
    assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in stored
    assert accounts.viewer_for_session(archive, token).name == "Ada"
    assert accounts.viewer_for_session(archive, stored) == Viewer()  # the stored hash is no cookie


@pytest.mark.parametrize("token", [None, "", "not-a-token", "x" * 500])
def test_no_valid_token_means_anonymous(archive, token):
    assert accounts.viewer_for_session(archive, token) == Viewer()


def test_a_session_slides_for_12_hours_but_never_past_7_days(archive):
    user_id = accounts.add_user(archive, "Ada", PASSWORD, [], KEEPER)
    t0 = 3_000_000.0
    token = accounts.start_session(archive, user_id, None, now=t0)
    assert accounts.viewer_for_session(archive, token, now=t0 + accounts.IDLE_S + 1) == Viewer()
    accounts.start_session(archive, user_id, None, now=t0 + accounts.IDLE_S + 1)
    assert archive.conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1  # the ended one tidied away
    token = accounts.start_session(archive, user_id, None, now=t0)
    t = t0
    while t < t0 + accounts.ABSOLUTE_S - accounts.IDLE_S:  # used twice a day: it stays open...
        t += accounts.IDLE_S - 60
        assert accounts.viewer_for_session(archive, token, now=t).name == "Ada"
    assert accounts.viewer_for_session(archive, token, now=t0 + accounts.ABSOLUTE_S + 1) == Viewer()  # ...for a week


def test_a_session_used_while_another_process_writes_is_read_without_waiting(archive, settings):
    """Sliding a session is a write, made on the web server's event loop: waiting there for
    another writer (up to the connection's 30 s) held up every request to the server. It
    slides at a later request instead."""
    user_id = accounts.add_user(archive, "Ada", PASSWORD, [], KEEPER)
    t0 = time.time()
    token = accounts.start_session(archive, user_id, None, now=t0)
    later = t0 + accounts.SLIDE_EVERY_S + 60
    writer = sqlite3.connect(settings.database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    read = []
    thread = threading.Thread(target=lambda: read.append(accounts.viewer_for_session(archive, token, now=later)))
    thread.start()
    thread.join(timeout=10)
    waited = thread.is_alive()
    writer.execute("ROLLBACK")
    writer.close()
    thread.join()

    assert not waited and read[0].name == "Ada"

    def expires() -> float:
        return archive.conn.execute("SELECT expires_at FROM sessions").fetchone()[0]

    assert expires() == t0 + accounts.IDLE_S
    assert archive.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000  # other writes still wait
    assert accounts.viewer_for_session(archive, token, now=later).name == "Ada"
    assert expires() == later + accounts.IDLE_S


def test_a_role_change_applies_at_once_and_ends_the_sessions(archive):
    user_id = accounts.add_user(archive, "Mo", PASSWORD, [("member", "Zgorzelec")], KEEPER)
    token = accounts.start_session(archive, user_id, None)
    assert accounts.viewer_for_session(archive, token).member_of == {"zgorzelec"}
    # roles are read at every request
    archive.conn.execute("INSERT INTO user_roles (user_id, role) VALUES (?, 'researcher')", (user_id,))
    assert accounts.viewer_for_session(archive, token).is_researcher
    accounts.set_roles(archive, "mo", [("moderator", "Görlitz")], KEEPER)
    assert accounts.viewer_for_session(archive, token) == Viewer()
    fresh = accounts.authenticate(archive, "Mo", PASSWORD, None)
    assert fresh.roles == {"moderator"} and fresh.moderates == {"görlitz"}
    assert ("cli:test", "roles changed") in _actions(archive)
    detail = audit.entries(archive, KEEPER, 10)[1].detail
    assert detail == "Mo: member of Zgorzelec, researcher -> moderator of Görlitz"


def test_removing_a_person_ends_their_sessions(archive):
    accounts.add_user(archive, "Admin", PASSWORD, [("admin", None)], KEEPER)
    user_id = accounts.add_user(archive, "Ada", PASSWORD, [("volunteer", None)], KEEPER)
    token = accounts.start_session(archive, user_id, None)
    accounts.remove_user(archive, "Ada", KEEPER)
    assert accounts.viewer_for_session(archive, token) == Viewer()
    assert archive.conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
    with pytest.raises(NotFound, match="no person named 'Ada'"):
        accounts.remove_user(archive, "Ada", KEEPER)
    assert ("cli:test", "user removed") in _actions(archive)


def test_a_new_password_ends_the_sessions(archive):
    user_id = accounts.add_user(archive, "Ada", PASSWORD, [], KEEPER)
    token = accounts.start_session(archive, user_id, None)
    accounts.set_password(archive, "Ada", "another good password", KEEPER)
    assert accounts.viewer_for_session(archive, token) == Viewer()
    assert accounts.authenticate(archive, "Ada", "another good password", None).name == "Ada"


def test_signing_out_ends_the_session_on_the_server(archive):
    user_id = accounts.add_user(archive, "Ada", PASSWORD, [], KEEPER)
    token = accounts.start_session(archive, user_id, None)
    other = accounts.start_session(archive, user_id, None)
    accounts.end_session(archive, token)
    assert accounts.viewer_for_session(archive, token) == Viewer()
    assert accounts.viewer_for_session(archive, other).name == "Ada"  # another browser stays signed in
    assert _actions(archive)[-1] == ("Ada", "sign-out")
    accounts.revoke_sessions(archive, user_id)
    assert accounts.viewer_for_session(archive, other) == Viewer()


def test_the_last_admin_stays(archive):
    accounts.add_user(archive, "Ada", PASSWORD, [("admin", None)], KEEPER)
    with pytest.raises(AccountError, match="last admin"):
        accounts.remove_user(archive, "Ada", KEEPER)
    with pytest.raises(AccountError, match="last admin"):
        accounts.set_roles(archive, "Ada", [("researcher", None)], KEEPER)
    accounts.add_user(archive, "Bo", PASSWORD, [("admin", None)], KEEPER)
    accounts.remove_user(archive, "Ada", KEEPER)


def test_a_session_of_another_archive_is_unknown_here(settings, tmp_path):
    with Archive(settings.database) as here, Archive(tmp_path / "other" / "archive.db") as other:
        for a in (here, other):  # the same name and password in both
            accounts.add_user(a, "Ada", PASSWORD, [("admin", None)], KEEPER)
        token = accounts.start_session(other, 1, None)
        assert accounts.viewer_for_session(other, token).name == "Ada"
        assert accounts.viewer_for_session(here, token) == Viewer()


def test_the_first_admin_from_the_settings_only_when_nobody_exists(archive):
    with pytest.raises(ConfigurationError, match="at least 10 characters"):
        accounts.ensure_first_admin(archive, "short")
    assert accounts.ensure_first_admin(archive, PASSWORD) is True
    assert accounts.authenticate(archive, "admin", PASSWORD, None).is_admin
    assert accounts.ensure_first_admin(archive, "a different password") is False
    assert accounts.ensure_first_admin(archive, "short") is False  # an old setting no longer read: no error
    assert _actions(archive)[0] == ("STORYATLAS_ADMIN_PASSWORD", "user added")


def test_of_two_processes_starting_at_once_only_the_first_adds_the_admin(archive, monkeypatch):
    accounts.ensure_first_admin(archive, PASSWORD)
    monkeypatch.setattr(accounts, "count_users", lambda archive: 0)  # counted before the other one wrote
    assert accounts.ensure_first_admin(archive, "a different password") is False
    assert archive.conn.execute("SELECT count(*) FROM users").fetchone()[0] == 1


def test_a_moderator_of_a_community_typed_with_combining_accents_moderates_its_stories(archive):
    from storyatlas.archive import Place
    from tests.conftest import add_story

    story = add_story(archive, "Flut", "de", [(0.0, 1.0, "Wasser.")], visibility="community",
                      community=Place.parse("G\u00f6rlitz").community)
    accounts.add_user(archive, "Mo", PASSWORD, [("moderator", "Go\u0308rlitz")], KEEPER)
    assert archive.story_to_moderate(story, accounts.authenticate(archive, "Mo", PASSWORD, "127.0.0.1")).id == story


@pytest.mark.parametrize("twin", [
    "\uff21\uff44\uff41",  # full-width letters
    "\U0001d400da",  # a mathematical bold A
    "\u0410da", "Ad\u0430",  # a Cyrillic A, a Cyrillic a
    "Ada\u3164", "Ada\u2800", "Ada\u034f", "Ada\ufe0f",  # followed by something that shows nothing
])
def test_a_name_that_only_looks_like_anothers_is_refused(archive, twin):
    # each was a second "Ada" in the list of people and the audit log, one of them a volunteer
    accounts.add_user(archive, "Ada", PASSWORD, [("admin", None)], KEEPER)
    with pytest.raises(AccountError, match="already a person named 'Ada'"):
        accounts.add_user(archive, twin, PASSWORD, [("volunteer", None)], KEEPER)
    assert [p.name for p in accounts.list_users(archive, KEEPER)] == ["Ada"]


def test_names_of_other_alphabets_that_only_share_some_letters_are_people_of_their_own(archive):
    accounts.add_user(archive, "Ada", PASSWORD, [], KEEPER)
    accounts.add_user(archive, "\u0410\u0434\u0430", PASSWORD, [], KEEPER)  # Ада, Russian
    accounts.add_user(archive, "Ad\u00e1", PASSWORD, [], KEEPER)
    assert len(accounts.list_users(archive, KEEPER)) == 3


@pytest.mark.parametrize("given, typed", [("Zo\u00eb ist hier!", "Zoe\u0308 ist hier!"),
                                          ("Zoe\u0308 ist hier!", "Zo\u00eb ist hier!")])
def test_a_password_is_one_whichever_way_its_accents_are_typed(archive, given, typed):
    # a password set on one system was refused when typed on another that writes "ë" as "e" + "¨"
    accounts.add_user(archive, "Ada", given, [], KEEPER)
    assert accounts.authenticate(archive, "Ada", typed, "127.0.0.1").name == "Ada"


def test_a_password_hashed_as_it_was_typed_still_signs_in_and_is_hashed_again(archive):
    user_id = accounts.add_user(archive, "Ada", PASSWORD, [], KEEPER)
    decomposed = "Zoe\u0308 ist hier!"
    with archive.transaction() as c:  # as passwords were hashed before they were written one way
        c.execute("UPDATE users SET password_hash = ? WHERE id = ?", (accounts._hasher.hash(decomposed), user_id))
    assert accounts.authenticate(archive, "Ada", decomposed, "127.0.0.1").name == "Ada"
    assert accounts.authenticate(archive, "Ada", "Zo\u00eb ist hier!", "127.0.0.1").name == "Ada"


@pytest.mark.parametrize("community", ["Zg\x1b[2Jorzelec", "Zgorzelec\x00", "Zgo\u202erzelec"])
def test_a_community_with_a_control_character_is_refused(archive, community):
    # the escape was printed as it is by `storyatlas users list` on the keeper's terminal
    with pytest.raises(AccountError, match="printable characters only"):
        accounts.add_user(archive, "Mo", PASSWORD, [("moderator", community)], KEEPER)
    accounts.add_user(archive, "Mo", PASSWORD, [], KEEPER)
    with pytest.raises(AccountError, match="printable characters only"):
        accounts.set_roles(archive, "Mo", [("member", community)], KEEPER)
    assert accounts.list_users(archive, KEEPER)[0].roles == ()


@pytest.mark.parametrize("name", ["cli:root", "CLI:ada", "anonymous", "storyteller (private link)",
                                  "(no such person)", "archive keeper", "worker", "STORYATLAS_ADMIN_PASSWORD"])
def test_no_one_may_be_named_as_the_audit_log_names_the_archives_tools(archive, name):
    # a person named "cli:root" signed in, removed someone, and the log read as if the keeper had
    with pytest.raises(AccountError, match="names the archive's own tools"):
        accounts.add_user(archive, name, PASSWORD, [("admin", None)], KEEPER)
    assert accounts.count_users(archive) == 0


def test_a_first_admin_password_too_long_to_sign_in_with_is_refused(archive):
    # the admin was made, every sign-in then refused the password, and nobody could add another
    with pytest.raises(ConfigurationError, match="STORYATLAS_ADMIN_PASSWORD must be at most 1024 characters"):
        accounts.ensure_first_admin(archive, "x" * (accounts.MAX_PASSWORD + 1))
    assert accounts.count_users(archive) == 0
