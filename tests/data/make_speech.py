"""Make the spoken-story fixtures the tests use, with espeak-ng and ffmpeg.

Run from the repository root after ``apt-get install espeak-ng``:

    python tests/data/make_speech.py

Each story is spoken sentence by sentence, joined with 0.6 s of silence, and
saved as Opus in Ogg (small enough to commit). ``speech.json`` records where
each sentence starts, so the tests can check the times that search returns.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import wave
from pathlib import Path

import imageio_ffmpeg

HERE = Path(__file__).parent
PAUSE_S = 0.6
RATE = 22050

STORIES = {
    "en": [
        "My name is Anna and I have lived by the river all my life.",
        "In the spring the water came into our street in the night.",
        "We pumped the cellar for three days and nights.",
        "The neighbours brought sandbags, bread and hot soup.",
    ],
    "de": [
        "Ich heiße Klaus und wohne seit vierzig Jahren in dieser Stadt.",
        "Im Frühling kam das Hochwasser in unsere Straße.",
        "Die Überschwemmung hat unseren Keller zerstört.",
        "Die Nachbarn haben uns jeden Tag geholfen.",
    ],
    "fr": [
        "Je m'appelle Marie et j'habite dans ce quartier depuis mon enfance.",
        "L'école du village a fermé il y a dix ans.",
        "Les enfants prennent maintenant le bus tous les matins.",
    ],
    "es": [
        "Me llamo Carmen y vivo en este barrio desde hace treinta años.",
        "El año pasado nos desalojaron de nuestro piso.",
        "Los vecinos organizaron una protesta delante del ayuntamiento.",
    ],
    "pl": [
        "Nazywam się Piotr i mieszkam w tym mieście od urodzenia.",
        "Wiosną rzeka zalała całą naszą ulicę.",
        "Sąsiedzi pomagali sobie nawzajem przez wiele tygodni.",
    ],
}


def _speak(text: str, voice: str, out: Path) -> float:
    subprocess.run(["espeak-ng", "-v", voice, "-s", "140", "-w", str(out), text], check=True)
    with wave.open(str(out)) as w:
        return w.getnframes() / w.getframerate()


def main() -> None:
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    timings: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for lang, sentences in STORIES.items():
            parts, t, lines = [], 0.0, []
            for i, sentence in enumerate(sentences):
                part = Path(tmp) / f"{lang}{i}.wav"
                duration = _speak(sentence, lang, part)
                lines.append({"start": round(t, 3), "end": round(t + duration, 3), "text": sentence})
                parts.append(part)
                t += duration + PAUSE_S
            inputs = []
            for p in parts:
                inputs += ["-i", str(p)]
            n = len(parts)
            # each sentence is followed by PAUSE_S of silence (apad), then all are joined
            filters = ";".join(f"[{i}]apad=pad_dur={PAUSE_S}[p{i}]" for i in range(n))
            joined = "".join(f"[p{i}]" for i in range(n))
            subprocess.run(
                [ffmpeg, "-y", "-loglevel", "error", *inputs, "-filter_complex",
                 f"{filters};{joined}concat=n={n}:v=0:a=1[out]", "-map", "[out]",
                 "-ac", "1", "-ar", "24000", "-c:a", "libopus", "-b:a", "32k",
                 str(HERE / f"story_{lang}.ogg")],
                check=True,
            )
            timings[lang] = lines
    (HERE / "speech.json").write_text(json.dumps(timings, indent=2, ensure_ascii=False) + "\n")
    # the sample story shown by `storyatlas demo` is the English one
    sample = HERE.parent.parent / "storyatlas" / "sample" / "river.ogg"
    sample.write_bytes((HERE / "story_en.ogg").read_bytes())


if __name__ == "__main__":
    main()
