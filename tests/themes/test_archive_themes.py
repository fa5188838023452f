"""Themes in the archive: tagging, re-tagging, search through themes, comparison."""

import pytest
from click.testing import CliRunner

from storyatlas.archive import Viewer, tags
from storyatlas.archive.discover import compare, similar_stories, theme_overview
from storyatlas.cli import cli
from storyatlas.errors import VocabularyError
from storyatlas.search import SearchQuery
from storyatlas.search.fts import FTSBackend
from storyatlas.themes import Theme, emerging, store
from tests.conftest import add_story

KEEPER = Viewer.keeper()  # the archive's own tools: every story


def _themes(archive, story_id):
    return {t.theme_id for t in tags.story_themes(archive, story_id, KEEPER)}


def test_each_story_has_its_themes_with_evidence_segments(archive, tagged):
    assert "t_eviction" in _themes(archive, tagged["pl_eviction"])
    assert "t_floods" in _themes(archive, tagged["de_flood"]) and "t_floods" in _themes(archive, tagged["pl_flood"])
    assert not {"t_floods", "t_eviction"} & _themes(archive, tagged["en_quiet"])
    evidence = next(t for t in tags.story_themes(archive, tagged["de_flood"], KEEPER) if t.theme_id == "t_floods")
    assert [s.start for s in archive.segments(tagged["de_flood"], KEEPER) if s.id in evidence.segments] == [0.0, 4.5]
    recorded = archive.conn.execute("SELECT vocabulary_version, models FROM taggings WHERE story_id = ?",
                                    (tagged["de_flood"],)).fetchone()
    assert recorded[0] == store.vocabulary(archive).version and "en_core_web_sm" in recorded[1]


def test_a_portuguese_query_finds_the_polish_story_through_a_theme(archive, tagged):
    results = FTSBackend(archive).search(SearchQuery("despejo", KEEPER))
    assert set(results.themes) == {"t_eviction"}
    hit = results.stories[0]
    assert hit.story_id == tagged["pl_eviction"] and set(hit.themes) == {"t_eviction"}
    assert hit.moments[0].why == ("theme",) and hit.moments[0].start in (0.0, 4.5)
    assert dict(results.facets["theme"]) == {"t_eviction": 1}
    assert [h.story_id for h in results.stories] == [tagged["pl_eviction"]]


@pytest.mark.slow
def test_words_in_the_translation_say_so(archive, tagged):
    hit = FTSBackend(archive).search(SearchQuery("bailiff", KEEPER)).stories[0]
    assert hit.story_id == tagged["pl_eviction"] and hit.moments[0].why == ("translation",)


@pytest.mark.slow
def test_adding_a_theme_retags_existing_stories(archive, tagged, settings):
    assert "t_bees" not in _themes(archive, tagged["en_quiet"])
    result = CliRunner().invoke(cli, ["themes", "add", "t_bees", "--label", "Bees", "--trigger", "en:bee, beekeeper",
                                      "--trigger", "en:honey", "--archive", str(settings.archive)])
    assert result.exit_code == 0, result.output
    assert "re-tagged 4 stories" in result.output
    bees = next(t for t in tags.story_themes(archive, tagged["en_quiet"], KEEPER) if t.theme_id == "t_bees")
    assert list(bees.segments) == [s.id for s in archive.segments(tagged["en_quiet"], KEEPER)]
    assert "t_bees" not in _themes(archive, tagged["de_flood"])
    listed = CliRunner().invoke(cli, ["themes", "list", "--archive", str(settings.archive)]).output
    assert "t_bees" in listed and "Bees" in listed


def test_theme_overview_counts_by_country_and_region(archive, tagged):
    overview = theme_overview(archive, "t_floods", KEEPER)
    assert overview.stories == 2
    assert dict(overview.by_country) == {"DE": 1, "PL": 1}
    assert dict(overview.by_region) == {"Saxony": 1, "Lower Silesia": 1}
    assert overview.moments["Saxony"][0].story_id == tagged["de_flood"]


@pytest.mark.slow
def test_comparing_two_regions(archive, tagged, settings):
    result = compare(archive, "Saxony", "Masovia", KEEPER)
    assert (result.stories_a, result.stories_b) == (1, 1)
    assert "t_floods" in result.only_a and "t_eviction" in result.only_b and "t_floods" not in result.shared
    both = compare(archive, "PL", "Floods", KEEPER)
    assert both.counts_a["t_floods"] == 1 and both.counts_b["t_floods"] == 2 and "t_floods" in both.shared
    out = CliRunner().invoke(cli, ["compare", "Saxony", "Lower Silesia", "--archive", str(settings.archive)]).output
    assert "shared" in out and "Floods (test)" in out
    missing = CliRunner().invoke(cli, ["compare", "Atlantis", "Saxony", "--archive", str(settings.archive)])
    assert missing.exit_code == 1 and "no stories from 'Atlantis'" in missing.output


@pytest.mark.slow
def test_similar_stories_come_from_other_communities(archive, tagged):
    similar = similar_stories(archive, tagged["de_flood"], KEEPER)
    assert [s.story_id for s in similar][:1] == [tagged["pl_flood"]]
    assert "t_floods" in similar[0].themes
    archive.conn.execute("UPDATE stories SET visibility = 'private' WHERE id = ?", (tagged["pl_flood"],))
    assert tagged["pl_flood"] not in [s.story_id for s in similar_stories(archive, tagged["de_flood"], Viewer())]


@pytest.mark.slow
def test_recurring_phrases_are_suggested_until_decided(archive, tagged, settings):
    from storyatlas.themes.run import tag_story

    for n, town in enumerate(["Leeds", "York", "Hull"]):
        story = add_story(archive, f"Allotment {n}", "en", [(0.0, 3.0, "The pigeon loft was where we met.")],
                          community=town)
        tag_story(archive, story, settings.cache)
    found = {s.phrase: s for s in emerging.suggest(archive, KEEPER, min_stories=3)}
    assert "pigeon loft" in found and found["pigeon loft"].stories == 3
    assert found["pigeon loft"].examples[0].text.startswith("The pigeon loft")
    emerging.dismiss(archive, "pigeon loft")
    assert "pigeon loft" not in {s.phrase for s in emerging.suggest(archive, KEEPER, min_stories=3)}
    emerging.accept(archive, "pigeon loft", "t_pigeons", "Pigeon lofts")
    assert store.vocabulary(archive).get("t_pigeons").triggers == {"en": ("pigeon loft",)}


@pytest.mark.slow
def test_a_story_tagged_by_another_tagger_is_due_for_retagging(archive, tagged, settings):
    from storyatlas.themes.run import retag, tagger_for

    tagger = tagger_for(archive, settings.cache)
    assert store.stories_due(archive, tagger.vocabulary.version, tagger.version) == []
    with archive.transaction() as c:  # as if tagged before the tagger's weights changed
        c.execute("UPDATE taggings SET models = json_set(models, '$.tagger', 'older') WHERE story_id = ?",
                  (tagged["de_flood"],))
    assert store.stories_due(archive, tagger.vocabulary.version, tagger.version) == [tagged["de_flood"]]
    assert retag(archive, settings.cache) == 1
    assert store.stories_due(archive, tagger.vocabulary.version, tagger.version) == []
    told = []
    assert retag(archive, settings.cache, every=True, progress=lambda done, total: told.append((done, total))) == len(
        tagged)
    assert told == [(n, len(tagged)) for n in range(1, len(tagged) + 1)]  # every story, each counted of all


@pytest.mark.slow
def test_adding_a_theme_never_overwrites_one_already_there(archive, tagged, settings):
    before = store.vocabulary(archive).get("t_floods")
    runner = CliRunner()
    taken = runner.invoke(cli, ["themes", "suggest", "--accept", "food bank", "t_floods",
                                "--archive", str(settings.archive)])
    assert taken.exit_code == 1 and "theme 't_floods' exists already" in taken.output
    again = runner.invoke(cli, ["themes", "add", "t_floods", "--label", "Floods", "--trigger", "en:dam",
                                "--archive", str(settings.archive)])
    assert again.exit_code == 1 and "exists already" in again.output
    assert store.vocabulary(archive).get("t_floods") == before
    malformed = runner.invoke(cli, ["themes", "add", "Food Banks", "--label", "Food banks", "--trigger", "en:food bank",
                                    "--archive", str(settings.archive)])
    assert malformed.exit_code == 1 and "use lower-case letters, digits and _" in malformed.output
    # an id is a word that starts with a letter: it is part of addresses and of the themes' table
    for bad in ("2020_floods", "_floods", "food-banks", "x", "a" * 42):
        with pytest.raises(VocabularyError, match="use lower-case letters"):
            store.add_theme(archive, Theme(bad, "Food banks"))
    store.add_theme(archive, Theme("food_banks_2020", "Food banks", triggers={"en": ("food bank",)}))


@pytest.mark.slow
def test_a_theme_is_changed_from_the_command_line(archive, tagged, settings):
    def run(*args, code=0):
        result = CliRunner().invoke(cli, [*args, "--archive", str(settings.archive)])
        assert result.exit_code == code, result.output
        return result.output

    before = store.vocabulary(archive).get("t_floods")
    out = run("themes", "edit", "t_floods", "--description", "Water where it should not be.",
              "--trigger", "en:Sandbag,  pumped the cellar", "--trigger", "de:Deich", "--no-retag")
    assert "changed theme t_floods" in out and "re-tagged" not in out
    theme = store.vocabulary(archive).get("t_floods")
    assert (theme.label, theme.description) == (before.label, "Water where it should not be.")
    assert before.triggers["en"] == ("flood", "sandbag", "river burst its banks")
    assert theme.triggers["en"] == ("flood", "sandbag", "river burst its banks", "pumped the cellar")  # once each
    assert theme.triggers["de"] == (*before.triggers["de"], "deich")

    out = run("themes", "edit", "t_floods", "--label", "High water", "--remove-trigger", "en:sandbag")
    assert "re-tagged" in out
    theme = store.vocabulary(archive).get("t_floods")
    assert (theme.label, theme.description) == ("High water", "Water where it should not be.")
    assert theme.triggers["en"] == ("flood", "river burst its banks", "pumped the cellar")
    for same in ((), ("--remove-trigger", "en:nosuchword"), ("--label", "High water")):
        out = run("themes", "edit", "t_floods", *same)
        assert "nothing changed" in out and "re-tagged" not in out  # and no archive tagged again for nothing
    assert "a theme needs a label" in run("themes", "edit", "t_floods", "--label", " ", code=1)
    assert store.vocabulary(archive).get("t_floods") == theme
    for wrong in ("xx:water", "flood"):
        assert "write LANG:word, phrase, ... with LANG one of" in run("themes", "edit", "t_floods", "--trigger",
                                                                       wrong, code=1)


@pytest.mark.slow
def test_stories_are_tagged_again_when_due_or_all_and_a_phrase_is_dismissed(archive, tagged, settings):
    def run(*args, code=0):
        result = CliRunner().invoke(cli, [*args, "--archive", str(settings.archive)])
        assert result.exit_code == code, result.output
        return result.output

    assert "re-tagged 0 stories" in run("themes", "retag")  # none tagged with an older vocabulary
    assert "re-tagged 4 stories" in run("themes", "retag", "--all")
    assert "no phrase outside the themes recurs in 2 or more stories" in run("themes", "suggest", "--min-stories", "2")
    assert "is not in the range" in run("themes", "suggest", "--min-stories", "-5", code=2)
    assert "not both at once" in run("themes", "suggest", "--accept", "sand bags", "t_sand", "--dismiss", "soup",
                                     code=2)
    assert "dismissed 'pigeon loft'" in run("themes", "suggest", "--dismiss", "pigeon loft")
    assert [tuple(r) for r in archive.conn.execute("SELECT phrase, status FROM theme_suggestions")] == [
        ("pigeon loft", "dismissed")]


@pytest.mark.slow
def test_themes_listed_compared_and_a_phrase_taken_as_a_theme_from_the_command_line(archive, tagged, settings):
    from storyatlas.themes.run import tag_story

    def run(*args, code=0):
        result = CliRunner().invoke(cli, [*args, "--archive", str(settings.archive)])
        assert result.exit_code == code, result.output
        return result.output

    assert f"{'t_floods':16} {2:5}  Hochwasser (Test)" in run("themes", "list", "--language", "de").splitlines()
    compared = run("compare", "Saxony", "Masovia").splitlines()
    assert compared[compared.index("shared") + 1] == "  (none)"
    assert "no stories from 'Atlantis'" in run("compare", "Saxony", "Atlantis", code=1)
    assert "write LANG:word" in run("themes", "edit", "t_floods", "--trigger", "en", code=1)

    for town in ("Leeds", "York"):
        story = add_story(archive, f"Allotment in {town}", "en", [(0.0, 3.0, "The pigeon loft was where we met.")],
                          community=town)
        tag_story(archive, story, settings.cache)
    assert "'pigeon loft': 2 stories" in run("themes", "suggest", "--min-stories", "2")
    assert "no phrase outside the themes recurs in 3 or more stories" in run("themes", "suggest")
    assert "added theme t_pigeons for 'pigeon loft'" in run("themes", "suggest", "--accept", "pigeon loft", "t_pigeons")
    assert store.vocabulary(archive).get("t_pigeons").label == "Pigeon loft"


def test_tagging_a_story_again_replaces_what_it_found(archive, tagged, settings):
    from storyatlas.themes.run import tag_story

    def found(story_id):
        return {table: archive.conn.execute(f"SELECT count(*) FROM {table} WHERE story_id = ?",
                                            (story_id,)).fetchone()[0]
                for table in ("story_themes", "theme_evidence", "entities", "phrases", "taggings")}

    story = add_story(archive, "Dresden", "en", [(0.0, 4.0, "The river burst its banks in Dresden, Germany, in 2002."),
                                                  (4.0, 8.0, "We filled sandbags with Maria Schmidt all night.")])
    tag_story(archive, story, settings.cache)
    before = found(story)
    assert all(before.values()), before
    # a name the gazetteer does not know (a person's) is compared with others as it was said
    entities = tags.story_entities(archive, story, Viewer.keeper())
    assert {e["text"]: e["normalized"] for e in entities if e["kind"] == "person"} == {"Maria Schmidt": "Maria Schmidt"}
    assert {e["text"]: (e["country"], e["normalized"]) for e in entities if e["kind"] == "place"} == {
        "Dresden": (None, "Dresden"), "Germany": ("DE", "Germany")}
    tag_story(archive, story, settings.cache)
    assert found(story) == before


def test_a_theme_saved_in_a_new_archive_joins_the_shipped_vocabulary(archive):
    from storyatlas.themes.vocabulary import default_vocabulary

    store.save_theme(archive, Theme("allotments", "Allotments", "", {}, {"en": ("allotment",)}))
    assert set(store.vocabulary(archive).ids()) == {*default_vocabulary().ids(), "allotments"}


@pytest.mark.slow
def test_a_story_never_tagged_is_due(archive, tagged):
    new = add_story(archive, "Untagged", "en", [(0.0, 2.0, "We moved to the coast.")])
    assert new in store.stories_due(archive, store.vocabulary(archive).version)


def test_suggestions_leave_out_what_themes_cover_and_what_everyone_says(archive):
    store.save_theme(archive, Theme("t_water", "Water (test)", "", {}, {"en": ("river burst", "Café")}))
    stories = [add_story(archive, f"Story {n}", "en", [(0.0, 2.0, "Words.")]) for n in range(12)]
    # phrases as the tagger keeps them (folded lemmas), and the stories that say them
    said = {"pigeon loft": range(4), "quilt": range(4), "kite string": range(3), "river bank": range(4),
            "cafe queue": range(4), "ox": range(4), "time": range(8), "weather": range(4, 12)}
    for phrase, which in said.items():
        for n in which:
            segment = archive.segments(stories[n], KEEPER)[0].id
            archive.conn.execute("INSERT INTO phrases (story_id, segment_id, phrase) VALUES (?, ?, ?)",
                                 (stories[n], segment, phrase))
    found = emerging.suggest(archive, KEEPER, min_stories=3)
    # longer and rarer phrases first; none a theme's English word covers (as folded), none
    # of two letters, none said in most stories
    assert [(s.phrase, s.stories, s.score) for s in found] == [
        ("pigeon loft", 4, 8.32), ("kite string", 3, 7.24), ("quilt", 4, 5.55)]
    assert [s.phrase for s in emerging.suggest(archive, KEEPER, min_stories=3, limit=2)] == ["pigeon loft",
                                                                                               "kite string"]


def test_the_tagger_learns_a_community_as_soon_as_a_story_names_it(archive, settings):
    from storyatlas.themes.run import tagger_for

    before = tagger_for(archive, settings.cache)
    assert before is tagger_for(archive, settings.cache)  # kept while nothing changes
    add_story(archive, "Oder", "de", [(0.0, 2.0, "Das Wasser kam.")], community="Słubice", country="PL")
    after = tagger_for(archive, settings.cache)
    assert after.places.normalise("Slubice") == ("PL", "Słubice") and before.places.normalise("Slubice") == (
        None, None)


def test_a_theme_without_a_label_or_trigger_words_is_refused_from_every_shell(archive, tagged, settings):
    # the command line saved both, a theme no story could get that every page showed blank
    def run(*args):
        result = CliRunner().invoke(cli, [*args, "--no-retag", "--archive", str(settings.archive)])
        assert result.exit_code == 1, result.output
        return result.output

    assert "a theme needs a label" in run("themes", "add", "t_bees", "--label", " ", "--trigger", "en:bee")
    assert "a theme needs trigger words in at least one language" in run(
        "themes", "add", "t_bees", "--label", "Bees", "--trigger", "en: , ")
    assert "printable characters only" in run("themes", "add", "t_bees", "--label", "Bees\x1b[2J", "--trigger", "en:bee")
    assert "t_bees" not in store.vocabulary(archive).ids()
    before = store.vocabulary(archive).get("t_floods")
    every = [f"{lang}:{', '.join(words)}" for lang, words in before.triggers.items()]
    assert "trigger words" in run("themes", "edit", "t_floods", *(a for w in every for a in ("--remove-trigger", w)))
    assert store.vocabulary(archive).get("t_floods") == before
