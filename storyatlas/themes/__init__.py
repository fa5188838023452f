"""Themes, places and people found in transcripts (spaCy). Arrives with the themes issue."""
