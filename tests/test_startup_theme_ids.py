"""A theme's id is the whole of what was typed: "$" let a line break after it through,
so `storyatlas themes add` stored a theme whose id no page nor command could name."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from storyatlas.cli import cli
from storyatlas.errors import VocabularyError
from storyatlas.themes import Theme, store


@pytest.mark.parametrize("theme_id", ["floods\n", "floods\r\n", "\nfloods"])
def test_a_theme_id_with_a_line_break_is_refused(archive, theme_id):
    with pytest.raises(VocabularyError, match="use lower-case letters, digits and _"):
        store.add_theme(archive, Theme(theme_id, "Floods", triggers={"en": ("flood",)}))
    assert theme_id not in store.vocabulary(archive).ids()


def test_the_command_line_refuses_it_and_takes_the_id_alone(archive, settings):
    def add(theme_id):
        return CliRunner().invoke(cli, ["themes", "add", theme_id, "--label", "Dam breaks", "--trigger", "en:dam",
                                        "--no-retag", "--archive", str(settings.archive)])

    refused = add("dam_breaks\n")
    assert refused.exit_code == 1 and "theme id 'dam_breaks\\n': use lower-case letters" in refused.output
    assert not [t for t in store.vocabulary(archive).ids() if t.startswith("dam_breaks")]
    assert add("dam_breaks").exit_code == 0
    assert "dam_breaks" in store.vocabulary(archive).ids()
