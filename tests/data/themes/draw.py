"""The theme draw of a blind set written after stories-6: which themes each story was to be
written around, drawn before writing, then patched automatically so that every theme
occurs at least twice and in at least two languages.

    python draw.py SEED LETTER THEMES_MD OUT_JSON [STORIES_A_LANGUAGE] [LANGUAGES]

stories-7 (then held-apart-4): seed 7, ids xx-eNN; stories-8 (then held-apart-5): seed 8,
xx-fNN; stories-9 (then held-apart-6): seed 9, xx-gNN; held-apart-7: seed 10, xx-hNN
(renamed xx-kNN after writing: set 2 has xx-hNN; now stories-10); held-apart-8: seed 11,
xx-iNN, 24 a language (now stories-11); held-apart-9: seed 12, xx-mNN, 24 a language
(now stories-12); held-apart-10: seed 13, xx-nNN (now stories-13); held-apart-11: seed 14,
xx-pNN (now stories-14); held-apart-12: seed 15, xx-qNN (one swap), 24 a language each;
held-apart-13: seed 16, xx-rNN, 24 a language, in the vocabulary's four other languages
(``draw.py 16 r THEMES_MD OUT_JSON 24 nl,pt,ro,el``; now stories-15); held-apart-14: seed 17,
xx-sNN, the same four languages (now stories-16); held-apart-15: seed 18, xx-tNN (renamed
xx-uNN after writing: set 3 has xx-tNN), the same four languages (now stories-17);
held-apart-16: seed 19, xx-vNN, the same four languages; held-apart-17: seed 20, xx-wNN, the
same four languages; held-apart-18: seed 21, xx-xNN, 24 a language in the first six
(``draw.py 21 x THEMES_MD OUT_JSON 24 en,de,fr,es,it,pl``); held-apart-19: seed 22, xx-yNN, the same
six languages.
THEMES_MD was the writers' copy of the 34 theme ids, labels and descriptions, one theme a
line (``- `id` — Label: description``).
"""
import json
import random
import re
import sys
from collections import Counter, defaultdict

seed, letter, themes_md, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
per_language = int(sys.argv[5]) if len(sys.argv) > 5 else 12
languages = sys.argv[6].split(",") if len(sys.argv) > 6 else ['en', 'de', 'fr', 'es', 'it', 'pl']
themes = re.findall(r"^- `([a-z]+)`", open(themes_md, encoding="utf-8").read(), re.M)
assert len(themes) == 34
rng = random.Random(seed)
raw = {}
for lang in languages:
    for n in range(1, per_language + 1):
        k = 2 if rng.random() < 0.5 else 1
        raw[f"{lang}-{letter}{n:02d}"] = rng.sample(themes, k)


def coverage(d):
    c = Counter(t for v in d.values() for t in v)
    L = defaultdict(set)
    for k, v in d.items():
        for t in v:
            L[t].add(k[:2])
    return c, L


patched = {k: list(v) for k, v in raw.items()}
patches = []
while True:
    c, L = coverage(patched)
    under = [t for t in themes if c[t] < 2 or len(L[t]) < 2]
    if not under:
        break
    t = under[0]
    # take a slot of the most drawn theme, in a story of a language the theme lacks
    for k in sorted(patched, key=lambda k: (-max(c[x] for x in patched[k]), k)):
        if k[:2] in L[t] or t in patched[k]:
            continue
        old = max(patched[k], key=lambda x: c[x])
        if c[old] <= 2:
            continue
        patched[k] = [t if x == old else x for x in patched[k]]
        patches.append((k, old, t))
        break
    else:
        raise SystemExit(f'cannot place {t}')
c, L = coverage(patched)
json.dump({'seed': seed, 'themes': themes, 'raw': raw, 'patches': patches, 'patched': patched,
           'coverage': {t: [c[t], sorted(L[t])] for t in themes}},
          open(out, 'w'), ensure_ascii=False, indent=1)
print('patches', patches)
