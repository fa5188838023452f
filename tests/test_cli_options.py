"""The options and helpers the `storyatlas` commands share, and what the machine gives."""

import getpass
import io
import os
import subprocess
import sys

import pytest

from storyatlas import cli_options, machine


def test_the_keeper_is_an_admin_named_after_who_runs_the_command() -> None:
    keeper = cli_options.keeper()
    assert keeper.name == f"cli:{getpass.getuser()}"
    assert keeper.roles == frozenset({"admin"})


@pytest.mark.parametrize("error", [OSError("no login"), KeyError("uid 1234")])
def test_a_process_without_a_login_name_is_still_named_in_the_audit_log(monkeypatch, error) -> None:
    def getuser() -> str:
        raise error

    monkeypatch.setattr(getpass, "getuser", getuser)
    keeper = cli_options.keeper()
    assert keeper.name == "cli:unknown" and keeper.roles == frozenset({"admin"})


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_shows_done_of_total_and_goes_when_the_work_ends(monkeypatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with cli_options.progress_bar("re-tagging", "story") as progress:
        progress(3, 10)
        drawn = terminal.getvalue()
        assert "re-tagging" in drawn and "3/10" in drawn and "story" in drawn
        progress(10, 10)
        assert "10/10" in terminal.getvalue()[len(drawn):]
    # leave=False: the bar's line is cleared, not left behind at the end
    assert "10/10" not in terminal.getvalue().rsplit("\r", 1)[-1]


def test_no_progress_bar_is_drawn_into_a_log_file(capsys) -> None:
    with cli_options.progress_bar("re-tagging", "story") as progress:
        progress(3, 10)
    assert capsys.readouterr().err == ""


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux's")
def test_the_cores_are_those_this_process_may_run_on() -> None:
    # a process held to one core (as by taskset or a container) sees one, whatever the machine has
    code = ("import os; os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]}); "
            "from storyatlas.machine import available_cores; print(available_cores())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"
    assert machine.available_cores() == len(os.sched_getaffinity(0))


def test_without_affinity_the_cores_are_the_machines(monkeypatch) -> None:
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert machine.available_cores() == 6
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # unknown
    assert machine.available_cores() == 1
