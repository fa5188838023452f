"""A server reads its archive's file into memory as it starts, when it fits, and what it
keeps in memory of the archive in the background."""

import io
import logging
import sys
import threading
import time

import pytest
from starlette.testclient import TestClient

from storyatlas.archive import held
from storyatlas.web.app import create_app
from tests.conftest import add_story


def test_the_archive_file_is_read_when_it_fits_in_half_the_memory_available(archive, settings, monkeypatch):
    add_story(archive, "Flood", "en", [(0, 4, "The water came into the cellar.")])
    path = settings.database
    size = path.stat().st_size
    monkeypatch.setattr(held, "_available_memory", lambda: 2 * size)
    assert held.read_into_memory(path) == size
    # not when it does not fit: the memory is left to what the system holds there
    monkeypatch.setattr(held, "_available_memory", lambda: 2 * size - 1)
    assert held.read_into_memory(path) == 0
    monkeypatch.setattr(held, "_available_memory", lambda: None)
    assert held.read_into_memory(path) == 0


@pytest.mark.skipif(sys.platform != "linux", reason="/proc/meminfo is Linux's")
def test_the_memory_available_is_known_on_linux(monkeypatch):
    assert held._available_memory() > 0
    # what can be had without swapping, not all there is; the kernel says kB
    meminfo = "MemTotal:  16000 kB\nMemFree:  1000 kB\nMemAvailable:  5000 kB\n"
    monkeypatch.setattr(held, "open", lambda path: io.StringIO(meminfo), raising=False)
    assert held._available_memory() == 5000 * 1024


def _join(name: str) -> None:
    for thread in threading.enumerate():
        if thread.name == name:
            thread.join(10)


def test_what_is_read_at_start_is_read_beside_the_start_and_a_failure_is_said(settings, caplog):
    gate, done = threading.Event(), []
    held.read_at_start(settings.database, "test", lambda archive: (gate.wait(10), done.append(archive.path)))
    assert done == []  # the start goes on meanwhile
    gate.set()
    _join("storyatlas-test")
    assert done == [settings.database]

    def fails(archive):
        raise RuntimeError("the disk went away")

    with caplog.at_level(logging.WARNING, logger="storyatlas.archive.held"):
        held.read_at_start(settings.database, "failing", fails)
        _join("storyatlas-failing")
        held.read_file_at_start(settings.database.with_name("gone.db"))
        _join("storyatlas-file")
    assert "reading the failing at start failed" in caplog.text
    assert "gone.db into memory failed" in caplog.text


def test_a_server_reads_its_archive_as_it_starts(settings, monkeypatch):
    read = []
    monkeypatch.setattr(held, "read_into_memory", read.append)
    with TestClient(create_app(settings)):
        deadline = time.monotonic() + 10
        while not read and time.monotonic() < deadline:
            time.sleep(0.01)
    assert read == [settings.database]
