"""`storyatlas users ...` and `storyatlas audit`: the archive keeper manages people."""

from __future__ import annotations

import getpass

import pytest
from click.testing import CliRunner

from storyatlas.archive import Archive, accounts, audit
from storyatlas.cli import cli
from storyatlas.errors import SignInRefused

PASSWORD = "correct horse battery"


@pytest.fixture
def run(settings, monkeypatch):
    monkeypatch.setenv("STORYATLAS_ARCHIVE", str(settings.archive))
    Archive(settings.database).close()  # an archive, as the server or an ingest made it

    def invoke(*args, code=0, input=None):
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False, input=input)
        assert result.exit_code == code, result.output
        return result

    return invoke


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "password.txt"
    path.write_text(PASSWORD + "\n", encoding="utf-8")
    return str(path)


def test_add_list_and_remove_people(run, settings, password_file):
    out = run("users", "add", "Ada", "--role", "admin", "--password-file", password_file).output
    assert "added Ada (admin)" in out
    run("users", "add", "Mo", "--role", "moderator", "--role", "member", "--community", "Zgorzelec",
        "--community", "Flood memories", "--password-file", password_file)
    listed = run("users", "list").output
    assert "Ada\tadmin" in listed
    assert "Mo\tmember of Flood memories, member of Zgorzelec, moderator of Flood memories, moderator of Zgorzelec" in listed

    with Archive(settings.database) as a:  # the password read from the file (without its line break) works
        mo = accounts.authenticate(a, "Mo", PASSWORD, None)
    assert mo.moderates == {"zgorzelec", "flood memories"}

    assert "removed Mo" in run("users", "remove", "mo").output
    assert "Mo" not in run("users", "list").output


def test_the_audit_log_names_the_keeper(run, password_file):
    run("users", "add", "Ada", "--role", "admin", "--password-file", password_file)
    run("users", "add", "Bo", "--role", "volunteer", "--password-file", password_file)
    run("users", "roles", "Bo", "--role", "researcher")
    run("users", "remove", "Bo")
    lines = run("audit").output.splitlines()
    keeper = f"cli:{getpass.getuser()}"
    assert [line.split("\t")[1:3] for line in lines] == [
        [keeper, "user removed"], [keeper, "roles changed"], [keeper, "user added"], [keeper, "user added"]]
    assert lines[1].endswith("Bo: volunteer -> researcher")
    assert len(run("audit", "--limit", "1").output.splitlines()) == 1


def test_roles_are_replaced(run, settings, password_file):
    run("users", "add", "Ada", "--role", "admin", "--password-file", password_file)
    run("users", "add", "Bo", "--role", "member", "--community", "Görlitz", "--password-file", password_file)
    out = run("users", "roles", "Bo", "--role", "moderator", "--community", "Zgorzelec").output
    assert "Bo now has: moderator of Zgorzelec" in out
    assert "Bo\tmoderator of Zgorzelec\t" in run("users", "list").output


@pytest.mark.parametrize("args, message", [
    (["--role", "moderator"], "--role moderator is held for a community or collection: add --community NAME"),
    (["--role", "admin", "--community", "X"], "--community is for the moderator and member roles"),
])
def test_community_roles_need_communities(run, password_file, args, message):
    out = run("users", "add", "Ada", *args, "--password-file", password_file, code=1).output
    assert message in out


def test_a_short_password_is_refused(run, tmp_path):
    short = tmp_path / "short.txt"
    short.write_text("short\n")
    out = run("users", "add", "Ada", "--role", "admin", "--password-file", str(short), code=1).output
    assert "Error: a password needs at least 10 characters" in out


def test_without_a_terminal_the_password_comes_from_a_file(run):
    out = run("users", "add", "Ada", "--role", "admin", code=1, input=PASSWORD + "\n").output
    assert "no terminal to ask for the password on: pass --password-file FILE" in out


def test_the_password_may_come_on_stdin(run, settings):
    run("users", "add", "Ada", "--role", "admin", "--password-file", "-", input=PASSWORD + "\n")
    with Archive(settings.database) as a:
        assert accounts.authenticate(a, "Ada", PASSWORD, None).is_admin


def test_missing_people_are_named(run):
    assert "there is no person named 'Nobody'" in run("users", "remove", "Nobody", code=3).output
    assert "nobody yet: `storyatlas users add NAME --role admin`" in run("users", "list").output


def _session(settings, name: str, password: str) -> str:
    with Archive(settings.database) as a:
        return accounts.start_session(a, accounts.authenticate(a, name, password, None).user_id, None)


def _signed_in(settings, token: str) -> bool:
    with Archive(settings.database) as a:
        return accounts.viewer_for_session(a, token).signed_in


def test_a_new_password_and_signing_out_end_the_persons_sessions(run, settings, password_file, tmp_path):
    run("users", "add", "Ada", "--role", "admin", "--password-file", password_file)
    phone, laptop = _session(settings, "Ada", PASSWORD), _session(settings, "Ada", PASSWORD)
    assert "ended 2 session(s) of Ada" in run("users", "signout", "Ada").output
    assert not _signed_in(settings, phone) and not _signed_in(settings, laptop)

    old = _session(settings, "Ada", PASSWORD)
    new = tmp_path / "new.txt"
    new.write_text("a new password, with spaces  \nnot this line\n", encoding="utf-8")  # its first line, as it is
    assert "new password set for Ada" in run("users", "password", "Ada", "--password-file", str(new)).output
    assert not _signed_in(settings, old)
    assert _signed_in(settings, _session(settings, "Ada", "a new password, with spaces  "))
    with Archive(settings.database) as a, pytest.raises(SignInRefused):
        accounts.authenticate(a, "Ada", PASSWORD, None)
    missing = run("users", "password", "Ada", "--password-file", str(tmp_path / "none.txt"), code=1).output
    assert "cannot read the password file" in missing and "Traceback" not in missing


def test_the_audit_log_a_page_at_a_time_with_its_story_and_detail(run, settings, password_file):
    assert "the audit log is empty" in run("audit").output
    run("users", "add", "Ada", "--role", "admin", "--password-file", password_file)
    with Archive(settings.database) as a:
        audit.record(a, "cli:tester", "erase", 7, "withdrawn by the storyteller")
    newest, older = run("audit").output.splitlines()
    assert newest.split("\t")[1:] == ["cli:tester", "erase", "story 7", "withdrawn by the storyteller"]
    assert older.split("\t")[3] == "-"
    assert run("audit", "--offset", "1").output.splitlines() == [older]
    assert run("audit", "--offset", "5").output.strip() == "the audit log has no entries past its newest 5"


def test_no_entry_of_the_audit_log_can_pass_for_another_or_work_on_the_terminal(run, settings):
    with Archive(settings.database) as a:
        # a line break and tabs in an erasure's reason; a terminal's escape in a name tried at sign-in
        audit.record(a, "cli:tester", "erase", 7, "withdrawn\nFAKE\tcli:admin\terase\tstory 1\tforged")
        audit.record(a, "\x1b[2JAda\u202e", "sign-in failed", None, "from 127.0.0.1\u2028forged")
    lines = run("audit").output.splitlines()
    assert len(lines) == 2 and all(len(line.split("\t")) == 5 for line in lines)
    assert lines[0].split("\t")[1] == "\\x1b[2JAda\\u202e"  # nor turn what follows right to left
    assert lines[0].split("\t")[4] == "from 127.0.0.1\\u2028forged"
    assert lines[1].split("\t")[4] == "withdrawn\\x0aFAKE\\x09cli:admin\\x09erase\\x09story 1\\x09forged"


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_a_password_file_saved_with_a_byte_order_mark_gives_the_password_in_it(run, settings, tmp_path, source):
    # Notepad's "UTF-8" starts a file with U+FEFF: it became part of the password, and the
    # password typed at the sign-in was refused
    path = tmp_path / "password.txt"
    path.write_text(PASSWORD + "\r\n", encoding="utf-8-sig")
    if source == "file":
        run("users", "add", "Ada", "--role", "admin", "--password-file", str(path))
    else:
        run("users", "add", "Ada", "--role", "admin", "--password-file", "-", input=path.read_text("utf-8"))
    with Archive(settings.database) as a:
        assert accounts.authenticate(a, "Ada", PASSWORD, None).is_admin
