"""What benchmarks/themes.py refuses before it reads any story: a figure on the wrong files is a false figure."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
DATA = ROOT / "tests" / "data" / "themes"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / "themes.py"), *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args, said", [
    # --held-apart takes every file after it: stories-1 would have been judged as held apart
    (("--held-apart", str(DATA / "held-apart-19.jsonl"), str(DATA / "stories-1.jsonl")),
     "stories-1.jsonl: a set the tagger is fitted on, not held apart"),
    (("--held-apart", str(DATA / "held-apart-99.jsonl")), "no such held-apart file"),
])
def test_a_fitting_set_or_a_missing_file_as_held_apart_is_refused_with_what_to_do(args, said):
    run = _run(*args)
    assert run.returncode == 2
    assert said in run.stderr
