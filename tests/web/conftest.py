import pytest
from starlette.testclient import TestClient

from storyatlas.web.app import create_app


@pytest.fixture
def app(settings):
    return create_app(settings)


@pytest.fixture
def client(app):
    with TestClient(app, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def web_archive(app):
    return app.state.archives.get()


@pytest.fixture(autouse=True)
def every_message_is_translated(monkeypatch):
    """A page that asks for a message no catalog holds shows its key ("why.meaning") to
    the reader: any page a test renders fails on one."""
    from storyatlas.web.i18n import Translator

    missing = []
    lookup = Translator.__call__

    def checked(self, key, **values):
        if key not in self.messages and key not in self.fallback:
            missing.append((self.lang, key))
        return lookup(self, key, **values)

    monkeypatch.setattr(Translator, "__call__", checked)
    yield
    assert not missing, f"messages in no catalog: {sorted(set(missing))}"
