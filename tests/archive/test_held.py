"""A server reads its archive's file into memory as it starts, when it fits."""

import sys
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
def test_the_memory_available_is_known_on_linux():
    assert held._available_memory() > 0


def test_a_server_reads_its_archive_as_it_starts(settings, monkeypatch):
    read = []
    monkeypatch.setattr(held, "read_into_memory", read.append)
    with TestClient(create_app(settings)):
        deadline = time.monotonic() + 10
        while not read and time.monotonic() < deadline:
            time.sleep(0.01)
    assert read == [settings.database]
