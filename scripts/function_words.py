"""Write storyatlas/function_words/snowball.json from the Snowball project's stop word
lists (https://github.com/snowballstem/snowball-website, algorithms/<language>/stop.txt;
3-clause BSD licence, see storyatlas/function_words/SOURCES.md).

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
OUT = Path(__file__).resolve().parent.parent / "storyatlas" / "function_words" / "snowball.json"


def words(text: str) -> list[str]:
    found = (line.split("|")[0].split() for line in text.splitlines())
    return sorted({said[0] for said in found if said})


def main() -> None:
    root = Path(sys.argv[1])
    lists = {lang: [w for w in words((root / "algorithms" / name / "stop.txt").read_text(encoding="utf-8"))
                    if w not in NOUNS_TOO.get(lang, ())]
             for lang, name in LANGUAGES.items()}
    # a language a line
    OUT.write_text("{\n" + ",\n".join(f" {json.dumps(lang)}: {json.dumps(said, ensure_ascii=False)}"
                                      for lang, said in lists.items()) + "\n}\n", encoding="utf-8")
    print(f"{OUT}: " + ", ".join(f"{lang} {len(w)}" for lang, w in lists.items()))


if __name__ == "__main__":
    main()
