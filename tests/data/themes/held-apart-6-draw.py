"""Theme draw for held-apart-6 (ids xx-gNN): random.Random(9), then an automatic patch so
every theme occurs at least twice and in at least two languages."""
import json, random, re
from collections import Counter, defaultdict
themes = re.findall(r"^- `([a-z]+)`", open('/tmp/blind/themes.md').read(), re.M)
assert len(themes) == 34
rng = random.Random(9)
langs = ['en', 'de', 'fr', 'es', 'it', 'pl']
raw = {}
for lang in langs:
    for n in range(1, 13):
        k = 2 if rng.random() < 0.5 else 1
        raw[f"{lang}-g{n:02d}"] = rng.sample(themes, k)

def coverage(d):
    c = Counter(t for v in d.values() for t in v)
    L = defaultdict(set)
    for k, v in d.items():
        for t in v: L[t].add(k[:2])
    return c, L

patched = {k: list(v) for k, v in raw.items()}
patches = []
while True:
    c, L = coverage(patched)
    under = [t for t in themes if c[t] < 2 or len(L[t]) < 2]
    if not under: break
    t = under[0]
    # take a slot of the most drawn theme, in a story of a language the theme lacks
    for k in sorted(patched, key=lambda k: (-max(c[x] for x in patched[k]), k)):
        if k[:2] in L[t] or t in patched[k]: continue
        old = max(patched[k], key=lambda x: c[x])
        if c[old] <= 2: continue
        patched[k] = [t if x == old else x for x in patched[k]]
        patches.append((k, old, t)); break
    else:
        raise SystemExit(f'cannot place {t}')
c, L = coverage(patched)
json.dump({"seed": 9, 'themes': themes, 'raw': raw, 'patches': patches, 'patched': patched,
           'coverage': {t: [c[t], sorted(L[t])] for t in themes}},
          open('/tmp/blind6/draw.json', 'w'), ensure_ascii=False, indent=1)
if __name__ == '__main__':
    for k, v in patched.items(): print(k, v)
    print('patches', patches)
    print({t: c[t] for t in themes})
