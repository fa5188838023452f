"""Encode storyatlas/themes/background.txt into background.npz beside it, so the tagger
does not spend ten seconds on it at start. Run after editing the text or changing the
encoder; the tagger re-encodes by itself when the two do not match."""

from pathlib import Path

from storyatlas.themes import meaning

if __name__ == "__main__":
    target = Path(meaning.__file__).with_name("background.npz")
    meaning.write_background(target)
    print(f"wrote {target}")
