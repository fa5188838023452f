import pytest

from storyatlas.themes import Theme, store
from storyatlas.themes.run import tag_story
from tests.conftest import add_story

# themes of these tests' own, so that they do not depend on the repository's vocabulary
THEMES = (
    Theme("t_floods", "Floods (test)", "", {"de": "Hochwasser (Test)"},
          {"en": ("flood", "sandbag", "river burst its banks"), "de": ("hochwasser", "sandsack"),
           "pl": ("powódź", "zalać", "worek z piaskiem")}),
    Theme("t_eviction", "Eviction (test)", "", {"pt": "Despejo (teste)"},
          {"en": ("evict", "eviction", "bailiff"), "pl": ("eksmisja", "komornik"), "pt": ("despejo", "despejar")}),
)

STORIES = {
    "pl_eviction": ("Eksmisja na Pradze", "pl", [
        (0.0, 4.0, "Komornik przyszedł w listopadzie.", "The bailiff came in November."),
        (4.5, 9.0, "Po eksmisji spaliśmy u siostry.", "After the eviction we slept at my sister's."),
    ], {"community": "Warszawa", "region": "Masovia", "country": "PL", "collection": "Housing"}),
    "de_flood": ("Hochwasser in Görlitz", "de", [
        (0.0, 4.0, "Das Hochwasser kam in der Nacht.", "The flood came in the night."),
        (4.5, 9.0, "Wir haben Sandsäcke gefüllt.", "We filled sandbags."),
    ], {"community": "Görlitz", "region": "Saxony", "country": "DE", "collection": "Floods"}),
    "pl_flood": ("Powódź we Wrocławiu", "pl", [
        (0.0, 4.0, "Rzeka zalała całe osiedle.", "The river flooded the whole estate."),
        (4.5, 9.0, "Nosiliśmy worki z piaskiem.", "We carried sandbags."),
    ], {"community": "Wrocław", "region": "Lower Silesia", "country": "PL", "collection": "Floods"}),
    "en_quiet": ("A quiet life", "en", [(0.0, 3.0, "I kept bees and grew tomatoes.")],
                 {"community": "Leeds", "region": "Yorkshire", "country": "GB"}),
}


def seed_themes(archive):
    """The archive's vocabulary becomes these themes alone: two themes that mean the same
    (the repository's floods and these tests' t_floods) compete for the same passages."""
    for theme in THEMES:
        store.save_theme(archive, theme)
    with archive.transaction() as c:
        c.execute(f"DELETE FROM themes WHERE id NOT IN ({', '.join('?' * len(THEMES))})", [t.id for t in THEMES])


@pytest.fixture
def tagged(archive, settings):
    """The stories above, transcribed by hand and tagged."""
    seed_themes(archive)
    ids = {}
    for key, (title, lang, lines, meta) in STORIES.items():
        ids[key] = add_story(archive, title, lang, lines, **meta)
        tag_story(archive, ids[key], settings.cache)
    return ids
