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
