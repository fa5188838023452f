"""Consent changed through the library itself: the web's pages check who asks before
they call it, but the library refuses on its own, and says what a wrong value is."""

import pytest

from storyatlas.archive import Viewer, consent
from storyatlas.errors import AccessDenied, ConsentError
from tests.conftest import add_story

LINES = [(0.0, 4.0, "Woda przyszła w nocy.", "The water came in the night.")]


@pytest.fixture
def story(archive):
    return add_story(archive, "Powódź", "pl", LINES, community="Zgorzelec")


def _row(archive, story_id):
    return tuple(archive.conn.execute(
        "SELECT visibility, embargo_until, storyteller_naming, exportable FROM stories WHERE id = ?",
        (story_id,)).fetchone())


@pytest.mark.parametrize("who", [
    Viewer.anonymous(),
    Viewer("Ola", frozenset({"volunteer"}), member_of=frozenset({"Zgorzelec"})),
    Viewer("Jan", frozenset({"moderator"}), moderates=frozenset({"Opole"})),
    Viewer.teller(999),
], ids=["public", "member", "other-moderator", "other-teller"])
def test_only_the_teller_and_the_storys_moderators_change_its_consent(archive, story, who):
    before = _row(archive, story)
    assert archive.story(story, who)  # each may hear the published story...
    with pytest.raises(AccessDenied):  # ...but not change who else may
        consent.change(archive, story, consent.Consent("private", "2099-01-01", "anonymous", False), who)
    with pytest.raises(AccessDenied):
        consent.changes(archive, story, who)
    assert _row(archive, story) == before


def test_the_teller_and_a_moderator_change_it_and_each_change_is_kept(archive, story):
    moderator = Viewer("Mod", frozenset({"moderator"}), moderates=frozenset({"Zgorzelec"}))
    assert [c.field for c in consent.change(archive, story, consent.Consent(embargo_until="2099-01-01"),
                                            Viewer.teller(story))] == ["embargo_until"]
    lifted = consent.change(archive, story, consent.Consent(embargo_until=""), moderator)
    assert [(c.field, c.old, c.new) for c in lifted] == [("embargo_until", "2099-01-01", None)]
    assert _row(archive, story)[1] is None  # lifted, not an empty date
    assert consent.change(archive, story, consent.Consent(embargo_until=""), moderator) == []
    assert [(c.who, c.new) for c in consent.changes(archive, story, Viewer.teller(story))] == [
        ("storyteller (private link)", "2099-01-01"), ("Mod", None)]


@pytest.mark.parametrize("wanted, refusal", [
    (consent.Consent(visibility="everyone"), "who may hear the story must be one of public, community, "
                                             "researchers, private"),
    (consent.Consent(storyteller_naming="nickname"), "the storyteller is named in one of these ways"),
    (consent.Consent(embargo_until="31/01/2030"), "an embargo date looks like 2030-01-31"),
    (consent.Consent(embargo_until="2030-01-31 or later"), "an embargo date looks like 2030-01-31"),
    (consent.Consent(embargo_until="on 2030-01-31"), "an embargo date looks like 2030-01-31"),
    (consent.Consent(embargo_until="2030-02-30"), "2030-02-30 is not a date in the calendar"),
])
def test_a_wrong_value_is_refused_saying_what_is_right_and_nothing_changes(archive, story, wanted, refusal):
    before = _row(archive, story)
    with pytest.raises(ConsentError, match=refusal):
        consent.change(archive, story, wanted, Viewer.teller(story))
    assert _row(archive, story) == before


def _heard_by(archive, story_id, who) -> bool:
    from storyatlas.errors import NotFound

    try:
        archive.story(story_id, who)
        return True
    except NotFound:
        return False


MEMBER = Viewer("Mia", frozenset({"member"}), member_of=frozenset({"Zgorzelec"}))
MODERATOR = Viewer("Mod", frozenset({"moderator"}), moderates=frozenset({"Zgorzelec"}))


def test_a_teller_narrowing_a_published_story_has_it_at_once(archive, story):
    consent.change(archive, story, consent.Consent(visibility="community"), Viewer.teller(story))
    assert _heard_by(archive, story, MEMBER) and not _heard_by(archive, story, Viewer.anonymous())
    assert archive.story(story, MODERATOR).state == "published"  # nothing for a moderator to decide


def test_a_teller_choosing_private_while_waiting_takes_back_the_request(archive):
    """Else a moderator could still publish what the teller withdrew from everyone."""
    waiting = add_story(archive, "Czeka", "pl", LINES, community="Zgorzelec", visibility="private",
                        requested_visibility="public")
    assert [s.id for s in archive.awaiting_review(MODERATOR)] == [waiting]
    consent.change(archive, waiting, consent.Consent(visibility="private"), Viewer.teller(waiting))
    assert archive.awaiting_review(MODERATOR) == []
    assert archive.story(waiting, MODERATOR).requested_visibility is None


def test_a_moderator_changing_a_waiting_storys_audience_changes_what_waits(archive):
    """Publishing is the review's step, where it is audited as such: consent only changes the request."""
    waiting = add_story(archive, "Czeka", "pl", LINES, community="Zgorzelec", visibility="private",
                        requested_visibility="public")
    consent.change(archive, waiting, consent.Consent(visibility="community"), MODERATOR)
    story = archive.story(waiting, MODERATOR)
    assert (story.visibility, story.requested_visibility) == ("private", "community")
    assert not _heard_by(archive, waiting, MEMBER)


def test_a_declined_storys_teller_asking_again_puts_it_before_a_moderator_again(archive):
    """Even asking for fewer listeners than it has: a declined story is heard by nobody
    but its moderators, so any audience is a wider one."""
    declined = add_story(archive, "Odrzucona", "pl", LINES, community="Zgorzelec", visibility="community",
                         requested_visibility="researchers")
    archive.review(declined, publish=False, viewer=MODERATOR)
    consent.change(archive, declined, consent.Consent(visibility="public"), MODERATOR)
    assert archive.story(declined, MODERATOR).state == "declined" and not _heard_by(archive, declined, MEMBER)
    consent.change(archive, declined, consent.Consent(visibility="community"), Viewer.teller(declined))
    assert [s.id for s in archive.awaiting_review(MODERATOR)] == [declined]


def test_only_a_story_waiting_for_review_is_reviewed_and_the_review_is_audited(archive, story):
    from storyatlas.archive import audit
    from storyatlas.errors import NotFound

    with pytest.raises(NotFound, match=f"story {story} is not waiting for your review"):
        archive.review(story, publish=False, viewer=MODERATOR)  # published already: not declined by a slip
    assert archive.story(story, MODERATOR).state == "published"
    waiting = add_story(archive, "Czeka", "pl", LINES, community="Zgorzelec", visibility="private",
                        requested_visibility="community")
    archive.review(waiting, publish=True, viewer=MODERATOR)
    assert [(e.action, e.story_id, e.detail) for e in audit.entries(archive, Viewer.keeper())][:1] == [
        ("publish", waiting, "visibility community")]
