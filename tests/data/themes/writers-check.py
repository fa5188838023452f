"""The format check the writers of held-apart-13 to -18 ran as they wrote (in their folder as
check.py; writers-prompt.txt): python3 check.py LL [--full]. It reads the theme list,
the writer's draw and their part from FOLDER."""
import re
import sys

FOLDER = "/tmp/blind13"
ENDS = (".", "!", "?", "…", "»", "\"", "”", "“")


def main(lang: str, full: bool) -> list[str]:
    themes_md = open(f"{FOLDER}/themes.md", encoding="utf-8").read()
    themes = set(re.findall(r"^- `([a-z]+)`", themes_md, re.M))
    draw = {}
    for line in open(f"{FOLDER}/draw-{lang}.txt", encoding="utf-8"):
        story, drawn = line.split(":", 1)
        draw[story.strip()] = [t.strip() for t in drawn.split(",")]
    stories = []
    source = open(f"{FOLDER}/parts/{lang}.py", encoding="utf-8").read()
    exec(compile(source, f"{lang}.py", "exec"), {"add": lambda *story: stories.append(story)})
    ends = ENDS + (";",) if lang == "el" else ENDS  # Greek's question mark
    problems, seen = [], []
    for story, labels, text, english in stories:
        if story not in draw:
            problems.append(f"{story}: not an id of draw-{lang}.txt")
        if story in seen:
            problems.append(f"{story}: twice")
        seen.append(story)
        if not 1 <= len(labels) <= 3 or any(t not in themes for t in labels) or len(set(labels)) != len(labels):
            problems.append(f"{story}: labels must be 1-3 distinct theme ids: {labels}")
        told, translated = text.strip().split("\n"), english.strip().split("\n")
        if len(told) != len(translated):
            problems.append(f"{story}: {len(told)} lines of text, {len(translated)} of English")
        if not 5 <= len(told) <= 9:
            problems.append(f"{story}: {len(told)} sentences (5-9)")
        for line in told + translated:
            if not line.strip():
                problems.append(f"{story}: an empty line")
            elif not line.rstrip().endswith(ends):
                problems.append(f"{story}: line does not end a sentence: {line[-40:]!r}")
        if lang != "el" and re.search(r"[α-ω]", text):
            problems.append(f"{story}: Greek letters?")
        if lang == "el" and not re.search(r"[α-ωά-ώ]", text):
            problems.append(f"{story}: the text is not in Greek letters")
    if seen != sorted(seen):
        problems.append("stories not in id order")
    if full and set(seen) != set(draw):
        problems.append(f"missing: {sorted(set(draw) - set(seen))}")
    return problems + [f"{'OK' if not problems else f'{len(problems)} problems'} ({len(stories)} stories)"]


if __name__ == "__main__":
    print("\n".join(main(sys.argv[1], "--full" in sys.argv)))
