"""Encode storyatlas/themes/background.txt into background.npz beside it, and the
languages' directions of storyatlas/meaning/languages.py into languages.npz beside that,
so that a process does not spend seconds on them at start. Run after editing the text,
the vocabulary's theme names or changing the encoder; each is encoded again by itself
when its file does not match."""

from pathlib import Path

from storyatlas.meaning import languages
from storyatlas.themes import meaning

if __name__ == "__main__":
    for target, write in ((Path(meaning.__file__).with_name("background.npz"), meaning.write_background),
                          (Path(languages.__file__).with_name("languages.npz"), languages.write)):
        write(target)
        print(f"wrote {target}")
