"""Write storyatlas/function_words/lists.json from the Snowball project's stop word
lists (https://github.com/snowballstem/snowball-website, algorithms/<language>/stop.txt;
3-clause BSD licence, see storyatlas/function_words/SOURCES.md), and the project's own
for Polish and Romanian.

    python scripts/function_words.py PATH/TO/snowball-website

Only each line's first word is taken (a list's comments begin with "|"); the words are
kept as written, folded when they are read (storyatlas.stems.function_word_in). The few
that are nouns too are left out (NOUNS_TOO): "Weg" is a path, "estado" a state, "faccia"
a face. So are English contractions: a query is split at an apostrophe, as the index is,
and folded "she'll" and "we'd" were "shell" and "wed", which then found no English story.
A few words a list lacks are added (ADDED).
"""

import json
import sys
from pathlib import Path

LANGUAGES = {"en": "english", "de": "german", "fr": "french", "es": "spanish", "it": "italian",
             "nl": "dutch", "pt": "portuguese"}
NOUNS_TOO = {"de": {"weg"}, "es": {"estado", "estados"}, "it": {"faccia"}, "nl": {"wezen"}}
# Snowball has no list for these (nor does Greek need one: no other vocabulary language
# writes its letters). spaCy's lists hold content words (Romanian "mare", "timp", "zi",
# Polish "pan", "roku"), so these are the project's own, in Snowball's manner: pronouns,
# possessives, demonstratives, question words, conjunctions, prepositions, particles, a few
# adverbs of grammar and the forms of "to be" and "to have", checked against spaCy's lists
# both ways. Left out, as content words too once folded: Polish "żeby" ("zęby", teeth),
# "mamy" (mums), "mają" ("maja", of May), "poza" (a pose); Romanian "nouă" (nine), "fii"
# (sons), "peste" ("pește", a fish)
OWN = {
    "pl": "a aby albo ale ani aż bardziej bardzo bez bo bowiem by byli byliśmy bym być był była byłaby byłam "
          "byłaś byłby byłem byłeś było byłoby były byłyśmy byś będzie będziecie będziemy będziesz będą będę "
          "chociaż choć ci ciebie cię co coś czego czemu czy czyli czym dla dlaczego dlatego do gdy gdyby gdyż "
          "gdzie go i ich ile im iż ja jak jaka jakaś jakby jaki jakich jakie jakiego jakiej jakieś jakim "
          "jakiś jako je jednak jego jej jemu jest jestem jesteś jesteście jesteśmy jeszcze jeśli jeżeli już "
          "ją każda każde każdy kiedy kim kogo komu kto ktoś która które którego której któremu który których "
          "którym którymi którzy którą ku lecz lub ma mam masz mi miał miała miałam miałem miało miały mieli "
          "mieliśmy mieć mimo między mnie mną moi moich moim moja moje mojego mojej mojemu moją mu my mój na "
          "nad nam nami nas nasi nasz nasza nasze naszego naszej naszych naszym naszą natomiast nawet nic nich "
          "niczego nie niech niego niej niemu nikogo nikt nim nimi nią niż no o obok od około on ona one oni "
          "ono oraz po pod podczas ponad ponieważ potem przecież przed przede przez przy również sam sama samo "
          "siebie się sobie sobą spod swoi swoich swoim swoja swoje swojego swojej swoją swój są ta tak taka "
          "taki takich takie także tam tamta tamte tamtego tamtej tamten tamto te tego tej temu ten teraz też "
          "to tobie tobą tu tutaj twoi twoich twoim twoja twoje twojego twojej twój ty tych tylko tym tymi tą "
          "tę u w wam wami was wasi wasz wasza wasze waszego waszej waszych we według więc wszyscy wszystkich "
          "wszystkie wszystko wtedy wy właśnie wśród z za zatem zaś ze znad znowu znów zza żaden żadna żadne "
          "żadnych że",
    "ro": "a acea aceasta aceea aceeași acei aceia aceiași acel acela același acele acelea acelei acelor "
          "acelui acest acesta aceste acestea acestei acestor acestui acești aceștia acolo acum adică ai aia "
          "aici al ale alea alt alta altceva alte altul alți am apoi ar are asta astea astfel asupra atunci "
          "atât atâta au avea aveai aveam aveau avem aveți avut având aș așa ca care ce cea ceea cei cel cele "
          "celei celor celui ceva chiar ci cine cineva contra cu cui cum cumva când cât câte câți că căci "
          "către da dacă dar de deci decât deja deoarece despre deși din dintr dintre doar după e ea ei el ele "
          "era erai eram erau este eu ești fi fie fiecare fiind foarte fost fără iar la le li lor lui lângă "
          "mai mea mei mele meu mi mie mine mă ne ni nici nimeni nimic niște noastre noastră noi nostru noștri "
          "nu numai o ori oricare orice oricine pe pentru prea prin printr printre până sa sale sau se sine "
          "spre sub sunt suntem sunteți sînt să său ta tale te tine toate tot totul toți tu tău un una unde "
          "unei unele unii unor unui va vi voastre voastră voi vom vor vostru vouă voștri vreo vreun vă îi îl "
          "îmi în încât încă însă într între își îți ăla ăsta ăștia și ție",
}
# words Snowball's lists lack that met a content word of another language: French "car"
# ("because") met every English "car"
ADDED = {"fr": "car"}
OUT = Path(__file__).resolve().parent.parent / "storyatlas" / "function_words" / "lists.json"


def words(text: str) -> list[str]:
    found = (line.split("|")[0].split() for line in text.splitlines())
    return sorted({said[0] for said in found if said})


def main() -> None:
    root = Path(sys.argv[1])
    lists = {lang: sorted({w for w in words((root / "algorithms" / name / "stop.txt").read_text(encoding="utf-8"))
                           if w not in NOUNS_TOO.get(lang, ()) and "'" not in w} | set(ADDED.get(lang, "").split()))
             for lang, name in LANGUAGES.items()}
    lists.update({lang: sorted(said.split()) for lang, said in OWN.items()})
    # a language a line
    OUT.write_text("{\n" + ",\n".join(f" {json.dumps(lang)}: {json.dumps(said, ensure_ascii=False)}"
                                      for lang, said in lists.items()) + "\n}\n", encoding="utf-8")
    print(f"{OUT}: " + ", ".join(f"{lang} {len(w)}" for lang, w in lists.items()))


if __name__ == "__main__":
    main()
