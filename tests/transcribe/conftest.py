import pytest

from tests.transcribe.sounds import story_wav


@pytest.fixture(scope="module")
def english(tmp_path_factory):
    """The English story as a speech WAV, made once a module."""
    return story_wav("en", tmp_path_factory.mktemp("wav"))
