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
# Polish "pan", "roku"), so these are the project's own, in Snowball's manner: pronouns,
# possessives, demonstratives, question words, conjunctions, prepositions, particles, a few
# adverbs of grammar and the forms of "to be" and "to have". Left out, as content words
# too once folded: Polish "żeby" ("zęby", teeth), "mamy" (mums), "mają" ("maja", of May),
# "poza" (a pose); Romanian "nouă" (nine), "fii" (sons), "peste" ("pește", a fish)
OWN = {
    "pl": "a aby albo ale ani bardzo bez bo by być był była byłaby byłam byłaś byłby byłem byłeś byli byliśmy "
          "było byłoby były byłyśmy bym byś będzie będziecie będziemy będziesz będą będę ci ciebie cię co coś "
          "czego czemu czy czyli czym choć chociaż dla do gdy gdyż gdzie go i ich ile im ja jak jaka jaki jakie "
          "jakiego jakiej jakim jakich jako je jednak jego jej jemu jest jestem jesteś jesteście jesteśmy "
          "jeszcze jeśli jeżeli już ją każda każde każdy kim kiedy kogo komu kto ktoś która które którego "
          "której któremu którym których którymi którzy którą ku lecz lub ma mam masz mi miał miała miałam "
          "miałem miało miały mieli mieliśmy mieć mnie mną moi moich moim moja moje mojego mojej mojemu moją "
          "mu mój my na nad nam nami nas nasi nasz nasza nasze naszego naszej naszych naszym naszą nawet nic "
          "niczego nie niech niego niej niemu nich nikogo nikt nim nimi niż nią no o obok od około on ona one "
          "oni ono oraz po pod ponieważ potem przed przez przy się siebie sobie sobą spod swoi swoich swoim "
          "swoja swoje swojego swojej swoją swój są ta tak także tam tamta tamte tamtego tamtej tamten tamto "
          "te tego tej temu ten teraz też to tobie tobą tu tutaj ty tych tylko tym tymi tę tą u w was wam wami "
          "wasz wasza wasze waszego waszej waszych we według więc wszyscy wszystkie wszystkich wszystko wtedy "
          "wy wśród z za zatem ze znad zza że",
    "ro": "a acea aceasta aceea acei aceia acel acela acele acelea acelei acelor acelui acest acesta aceste "
          "acestea acestei acestor acestui acești aceștia acolo acum ai aia aici al ale alt alta alte altul "
          "alți am apoi ar are asta asupra atunci atât au avea aveai aveam aveau aveți avem avut având aș "
          "ca care ce cea cei cel cele celei celor celui ceva cine cineva contra cu cum când cât către că da "
          "dacă dar de decât deci deja despre din dintre doar după ea ei el ele era eram erau erai este eu "
          "ești fi fie fiecare fiind foarte fost fără iar la le li lor lui lângă mai mea mei mele meu mi mie "
          "mine mă ne ni nici nimic noastre noastră noi nostru noștri nu o ori pe pentru prin până sa sale sau "
          "se sine spre sub sunt suntem sunteți sînt să său ta tale te tine tot toate toți totul tu tău un una "
          "unde unei unele unii unor unui va vi voastre voastră voi vor vostru voștri vouă vă îi îl îmi în "
          "între își îți ție ăla ăsta și",
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
