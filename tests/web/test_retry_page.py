"""A story whose processing failed, on its moderators' page: why, in the reader's
language, and a button that queues it again for the worker."""

import re

from starlette.testclient import TestClient

from storyatlas.archive import Viewer, accounts
from storyatlas.errors import said
from tests.conftest import add_story

KEEPER = Viewer.keeper("cli:test")


def test_its_moderators_page_says_why_it_failed_and_queues_it_again(app, web_archive):
    accounts.add_user(web_archive, "Zofia", "correct horse battery", [("moderator", "Zgorzelec")], KEEPER)
    story = add_story(web_archive, "Lines", "en", [(0, 4, "First line here.")], community="Zgorzelec")
    job = web_archive.job_for_story(story, KEEPER)
    # in the reader's language, as the worker stored it (a message every catalog holds)
    web_archive.finish_job(job.id, "failed",
                           said("no speech was found in this recording; check that it is the right file"))
    client = TestClient(app, base_url="http://testserver")

    def token(path: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)

    client.post("/login", data={"csrf_token": token("/login"), "name": "Zofia", "password": "correct horse battery"})
    page = f"/moderate/stories/{story}"
    shown = client.get(page, headers={"accept-language": "de"}).text
    assert re.findall(r'class="error">([^<]*)', shown) == [
        "Verarbeitung fehlgeschlagen: in dieser Aufnahme wurde nichts Gesprochenes gefunden; prüfen Sie, ob es die "
        "richtige Datei ist"]
    assert 'value="retry"' in shown
    answer = client.post(page, data={"csrf_token": token(page), "action": "retry"})
    assert answer.status_code == 200 and "Queued again" in answer.text and 'value="retry"' not in answer.text
    assert web_archive.job_for_story(story, KEEPER).state == "queued"
    assert app.state.queue.huey.pending_count() == 1  # for the worker
    refused = client.post(page, data={"csrf_token": token(page), "action": "retry"})
    assert refused.status_code == 422 and "has not failed" in refused.text
