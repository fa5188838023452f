"""The format check the writers of held-apart-13 ran as they wrote (in their folder as
check.py; writers-prompt.txt): python3 check.py LL [--full]. It reads the theme list,
the writer's draw and their part from FOLDER."""
import re, sys
FOLDER = "/tmp/blind13"
LL = sys.argv[1]; full = "--full" in sys.argv
themes = set(re.findall(r"^- `([a-z]+)`", open(f"{FOLDER}/themes.md", encoding="utf-8").read(), re.M))
draw = {}
for line in open(f"{FOLDER}/draw-{LL}.txt", encoding="utf-8"):
    k, v = line.split(":", 1); draw[k.strip()] = [t.strip() for t in v.split(",")]
stories = []
def add(id, labels, text, english):
    stories.append((id, labels, text, english))
src = open(f"{FOLDER}/parts/{LL}.py", encoding="utf-8").read()
exec(compile(src, f"{LL}.py", "exec"), {"add": add})
problems = []
ends = (".", "!", "?", "…", ";", "»", "\"", "”", "“") if LL == "el" else (".", "!", "?", "…", "»", "\"", "”", "“")
seen = []
for id, labels, text, english in stories:
    if id not in draw: problems.append(f"{id}: not an id of draw-{LL}.txt")
    if id in seen: problems.append(f"{id}: twice")
    seen.append(id)
    if not (1 <= len(labels) <= 3) or any(t not in themes for t in labels) or len(set(labels)) != len(labels):
        problems.append(f"{id}: labels must be 1-3 distinct theme ids: {labels}")
    t = [l for l in text.strip().split("\n")]; e = [l for l in english.strip().split("\n")]
    if len(t) != len(e): problems.append(f"{id}: {len(t)} lines of text, {len(e)} of English")
    if not (5 <= len(t) <= 9): problems.append(f"{id}: {len(t)} sentences (5-9)")
    for n, l in enumerate(t + e):
        if not l.strip(): problems.append(f"{id}: an empty line")
        elif not l.rstrip().endswith(ends): problems.append(f"{id}: line does not end a sentence: {l[-40:]!r}")
    if LL != "el" and re.search(r"[α-ω]", text): problems.append(f"{id}: Greek letters?")
    if LL == "el" and not re.search(r"[α-ωά-ώ]", text): problems.append(f"{id}: the text is not in Greek letters")
if seen != sorted(seen): problems.append("stories not in id order")
if full and set(seen) != set(draw): problems.append(f"missing: {sorted(set(draw) - set(seen))}")
for p in problems: print(p)
print("OK" if not problems else f"{len(problems)} problems", f"({len(stories)} stories)")
