"""The text helpers every stage shares: languages named as archival formats name them,
and times written for people."""

import pytest

from storyatlas.text import as_written, clock, clock_tenths, language_code, language_name, one_line, printed


def test_a_language_is_named_in_english_and_an_unknown_code_is_kept():
    assert [language_name(c) for c in ("de", "pl", "xx", None, "")] == ["German", "Polish", "xx", "", ""]


@pytest.mark.parametrize("name, code", [
    ("German", "de"), (" german ", "de"), ("DE", "de"), ("Polish", "pl"),
    # ISO 639-1 only: a three-letter code, or a language that has only one, is not one
    ("haw", None), ("Hawaiian", None), ("Klingon", None), ("", None), (None, None),
])
def test_a_language_named_in_english_or_by_its_code_gives_its_two_letter_code(name, code):
    assert language_code(name) == code


@pytest.mark.parametrize("seconds, said", [
    (0, "00:00"), (59.9, "00:59"), (61, "01:01"), (3599.5, "59:59"), (3600, "1:00:00"), (3725, "1:02:05")])
def test_a_time_is_written_in_minutes_and_seconds_and_hours_when_it_has_them(seconds, said):
    assert clock(seconds) == said


@pytest.mark.parametrize("seconds, said", [
    (0.04, "0:00.0"), (59.96, "1:00.0"), (61.25, "1:01.2"), (3600.04, "1:00:00.0"), (3725.5, "1:02:05.5"),
    (-3, "0:00.0"), (float("nan"), "nan"), (float("inf"), "inf")])
def test_a_moment_is_written_to_the_tenth(seconds, said):
    assert clock_tenths(seconds) == said


def test_text_for_a_terminal_keeps_no_control_character_but_those_asked_for():
    assert printed("a\x1b[31mb\tc\x00d\x9be\nf") == "a[31mb cde f"
    assert printed("a\x1bb\nc\r\n", keep="\n") == "ab\nc \n"
    assert one_line("  a\x1b\t\n b\x07  ") == "a b"


def test_a_word_as_written_is_case_folded_with_its_accents_written_one_way():
    # "é" typed as "e" and a combining acute, as some keyboards send it
    assert as_written("Fermé") == as_written("Ferme\u0301") == "fermé"
    assert as_written("STRASSE") == "strasse" and as_written("Łódź") == "łódź"  # accents kept, not folded
