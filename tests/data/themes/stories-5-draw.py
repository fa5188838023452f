"""Theme draw for held-apart-2 (now stories-5.jsonl; seed 5), plus the hand patches applied afterwards."""
import collections, copy, json, random, re

ids = re.findall(r"^- `([a-z_]+)`", open("/tmp/blind/themes.md", encoding="utf-8").read(), re.M)
assert len(ids) == 34
rng = random.Random(5)
langs = ["en", "de", "fr", "es", "it", "pl"]
raw = []
for lang in langs:
    for n in range(1, 13):
        k = 2 if rng.random() < 0.5 else 1
        raw.append({"id": f"{lang}-c{n:02d}", "language": lang, "themes": rng.sample(ids, k)})

# Hand patches (chosen after looking at the raw draw) so that every theme
# appears at least twice and in at least two languages.
PATCHES = {
    "en-c12": ["solidarity"],                 # was ['care']  (solidarity drawn 0 times)
    "pl-c10": ["solidarity", "poverty"],      # was ['culture'] (poverty only es)
    "pl-c08": ["migration", "language"],      # was ['language','farming'] (migration only en)
    "es-c11": ["climate", "farming"],         # was ['farming'] (climate only de)
    "fr-c12": ["work"],                       # was ['transport'] (work only it)
    "en-c04": ["care", "family"],             # was ['care'] (family only es)
    "es-c02": ["transport", "protest"],       # was ['transport'] (protest only it)
    "es-c10": ["unemployment", "eviction"],   # was ['unemployment'] (eviction only de)
}
patched = copy.deepcopy(raw)
for o in patched:
    if o["id"] in PATCHES:
        o["was"] = o["themes"]
        o["themes"] = PATCHES[o["id"]]

def coverage(rows):
    c = collections.defaultdict(list)
    for o in rows:
        for t in o["themes"]:
            c[t].append(o["language"])
    return {t: {"count": len(c[t]), "languages": sorted(set(c[t]))} for t in ids}

cov = coverage(patched)
bad = [t for t, v in cov.items() if v["count"] < 2 or len(v["languages"]) < 2]
assert not bad, bad
json.dump({"seed": 5, "theme_ids": ids, "raw_draw": raw, "patches": PATCHES,
           "draw": patched, "coverage": cov},
          open("/tmp/blind/draw.json", "w", encoding="utf-8"), ensure_ascii=False, indent=1)
for o in patched:
    print(o["id"], o["themes"], ("(was %s)" % o["was"]) if "was" in o else "")
for t, v in cov.items():
    print(f"{t:15s} {v['count']} {v['languages']}")
