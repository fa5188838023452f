"""Write storyatlas/function_words/lists.json from the Snowball project's stop word
lists (https://github.com/snowballstem/snowball-website, algorithms/<language>/stop.txt;
3-clause BSD licence, see storyatlas/function_words/SOURCES.md), and the project's own
for Polish and Romanian.

    python scripts/function_words.py PATH/TO/snowball-website

Only each line's first word is taken (a list's comments begin with "|"); the words are
kept as written, folded when they are read (storyatlas.stems.function_word_in). The few
that are nouns too are left out (NOUNS_TOO): "Weg" is a path, "estado" a state.
"""

import json
import sys
from pathlib import Path

LANGUAGES = {"en": "english", "de": "german", "fr": "french", "es": "spanish", "it": "italian",
             "nl": "dutch", "pt": "portuguese"}
NOUNS_TOO = {"de": {"weg"}, "es": {"estado", "estados"}, "nl": {"wezen"}}
# Snowball has no list for these (nor does Greek need one: no other vocabulary language
# writes its letters). spaCy's lists hold content words (Romanian "mare", "timp", "zi",
# Polish "pan", "roku"), so these are the project's own, short: pronouns, conjunctions,
# prepositions, particles and forms of "to be" and "to have"
OWN = {
    "pl": "a aby albo ale ani bo by być był była byli było były będzie będą ci cię co czy dla do gdy go i ich im "
          "ja jak je jego jej jemu jest jestem jeszcze już ku lub ma mi mnie mu my na nad nam nas nie nic niż o od "
          "on ona one oni ono oraz po pod przed przez przy się są ta tak tam te tego tej ten to tu ty tych tym u w "
          "we wy z za ze że żeby",
    "ro": "a acea aceasta acest acesta ai al ale am ar are au ca care ce cu cum dar de din după ea ei el ele era "
          "erau este eu fi fost în îi îl îmi își la le lor lui mai ne noi nu o pe pentru prin sau să se și sunt tu "
          "un una unei unui va voi vor",
}
OUT = Path(__file__).resolve().parent.parent / "storyatlas" / "function_words" / "lists.json"


def words(text: str) -> list[str]:
    found = (line.split("|")[0].split() for line in text.splitlines())
    return sorted({said[0] for said in found if said})


def main() -> None:
    root = Path(sys.argv[1])
    lists = {lang: [w for w in words((root / "algorithms" / name / "stop.txt").read_text(encoding="utf-8"))
                    if w not in NOUNS_TOO.get(lang, ())]
             for lang, name in LANGUAGES.items()}
    lists.update({lang: sorted(said.split()) for lang, said in OWN.items()})
    # a language a line
    OUT.write_text("{\n" + ",\n".join(f" {json.dumps(lang)}: {json.dumps(said, ensure_ascii=False)}"
                                      for lang, said in lists.items()) + "\n}\n", encoding="utf-8")
    print(f"{OUT}: " + ", ".join(f"{lang} {len(w)}" for lang, w in lists.items()))


if __name__ == "__main__":
    main()
