"""Discovery pages: themes across the archive, one theme across regions, two places compared."""

from __future__ import annotations

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from storyatlas.archive import discover, tags
from storyatlas.errors import NotFound, StoryAtlasError, said
from storyatlas.text import as_kept
from storyatlas.themes.charts import bar_chart, paired_chart
from storyatlas.themes.store import vocabulary as theme_vocabulary
from storyatlas.web import atlas, i18n
from storyatlas.web.accounts import viewer
from storyatlas.web.pages import render


def _translator(request: Request) -> i18n.Translator:
    return i18n.Translator(i18n.request_language(request))


def themes_index(request: Request) -> Response:
    archive = request.app.state.archives.get()
    vocabulary = theme_vocabulary(archive)
    counts = tags.theme_counts(archive, viewer(request))
    t = _translator(request)
    rows = sorted(((th.label_in(t.lang), counts.get(th.id, 0), th) for th in vocabulary.themes),
                  key=lambda r: (-r[1], r[0]))
    counted = [(label, n) for label, n, _ in rows if n][:15]
    # nothing tagged that the visitor may see: no empty image (a screen reader announced one)
    chart = Markup(bar_chart(t("themes.title"), counted)) if counted else None
    return render(request, "themes.html", rows=rows, chart=chart)


def theme_page(request: Request) -> Response:
    archive = request.app.state.archives.get()
    try:
        theme = theme_vocabulary(archive).get(request.path_params["theme"])
    except StoryAtlasError:
        raise NotFound(said("there is no theme {theme!r}", theme=request.path_params["theme"])) from None
    overview = discover.theme_overview(archive, theme.id, viewer(request))
    t = _translator(request)
    country_chart = Markup(bar_chart(t("compare.by_country"),
                                     [(t.country_name(c), n) for c, n in overview.by_country][:15]))
    # a story placed by its country alone is counted under the country's code ("PL"): named, as on /compare
    region_chart = Markup(bar_chart(t("compare.by_region"), [(t.place_name(r), n) for r, n in overview.by_region][:15],
                                    colour="#38761d"))
    return render(request, "theme.html", theme=theme, overview=overview, country_chart=country_chart,
                  region_chart=region_chart)


def compare_page(request: Request) -> Response:
    # accents written one way, as places are kept: the counts' query does so, the map's not
    a, b = (as_kept(request.query_params.get(side, "")).strip() for side in ("a", "b"))
    archive = request.app.state.archives.get()
    who = viewer(request)
    places = discover.place_names(archive, who)
    t = _translator(request)
    names = (t.place_name(a), t.place_name(b))  # "PL" shown as Poland
    result = chart = the_map = None
    if a and b:
        the_map = atlas.compare_map(request, a, b, names)
        result = discover.compare(archive, a, b, who)
        vocabulary = theme_vocabulary(archive)
        labels = {th.id: th.label_in(t.lang) for th in vocabulary.themes}
        rows = [(labels.get(tid, tid), result.counts_a.get(tid, 0), result.counts_b.get(tid, 0))
                for tid in result.charted(20)]
        chart = Markup(paired_chart(t("compare.title"), rows, names)) if rows else None
    return render(request, "compare.html", a=a, b=b, names=names, places=places, result=result, chart=chart,
                  map=the_map)


routes = [
    Route("/themes", themes_index),
    Route("/themes/{theme}", theme_page),
    Route("/compare", compare_page),
    *atlas.routes,
]
