"""Nothing leaves the machine while a story is processed: no connection, no name lookup.

The real work (ingest, Whisper with voice detection, translation check, themes) runs in
a subprocess watched from inside by a Python audit hook and, where strace is installed,
from outside by strace, which also sees what C++ libraries (onnxruntime, CTranslate2) do.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import story_file

ROOT = Path(__file__).resolve().parents[2]

# run in the subprocess: the audit hook is installed before anything else is imported
SCRIPT = r'''
import json, socket, sys
seen = []
WATCHED = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
           "socket.gethostbyaddr", "socket.getnameinfo", "socket.sendto", "socket.sendmsg",
           "urllib.Request", "http.client.connect"}

def hook(event, args):
    if event not in WATCHED:
        return
    if event == "socket.connect" and getattr(args[0], "family", None) == socket.AF_UNIX:
        return
    seen.append([event, repr(args)[:300]])

sys.addaudithook(hook)

from pathlib import Path
from storyatlas.archive import Archive, StoryMetadata, Viewer
from storyatlas.ingest import ingest_file
from storyatlas.jobs import process_job
from storyatlas.settings import Settings

archive_dir, cache, story = sys.argv[1:4]
settings = Settings(archive=Path(archive_dir), cache=Path(cache), model="tiny.en", vad=True)
with Archive(settings.database) as archive:
    keeper = Viewer.keeper()
    result = ingest_file(archive, Path(story), StoryMetadata(title="River"), settings, keeper)
    job = process_job(settings, result.job_id, archive=archive)
    text = " ".join(s.text for s in archive.segments(result.story_id, keeper))
network = list(seen)
socket.getaddrinfo("127.0.0.1", 80)  # a numeric look-up, to show that the hook sees them
print(json.dumps({"state": job.state, "message": job.message, "text": text, "network": network,
                  "hook_works": len(seen) == len(network) + 1}))
'''

_INET = re.compile(r'sa_family=AF_INET6?, sin6?_port=htons\((\d+)\).*?(?:inet_addr\("([^"]+)"\)|"([0-9a-fA-F:.]+)")')


def _outside_connections(trace: str) -> list[str]:
    """connect() calls in an strace log that reach beyond this machine, or ask a name server."""
    found = []
    for line in trace.splitlines():
        if "connect(" not in line or "AF_INET" not in line:
            continue
        match = _INET.search(line)
        if not match:
            found.append(line)
            continue
        port, address = int(match[1]), match[2] or match[3]
        loopback = address.startswith("127.") or address in ("::1", "::ffff:127.0.0.1")
        if port == 53 or not loopback:
            found.append(line)
    return found


def _process(tmp_path: Path, model_cache: Path, command_prefix: list[str]) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "STORYATLAS_"))}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [*command_prefix, sys.executable, "-c", SCRIPT, str(tmp_path / "archive"), str(model_cache),
         str(story_file("en"))],
        capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.mark.slow
def test_processing_a_story_makes_no_network_call_or_name_lookup(tmp_path, model_cache):
    result = _process(tmp_path, model_cache, [])
    assert result["state"] == "done", result["message"]
    assert "river" in result["text"].lower()  # it really was transcribed (with voice detection)
    assert result["hook_works"] and result["network"] == []


@pytest.mark.slow
def test_nothing_connects_outside_even_from_native_libraries(tmp_path, model_cache):
    strace = shutil.which("strace")
    if strace is None:
        _missing("strace is not installed (apt-get install strace; .ci/run installs it)")
    probe = subprocess.run([strace, "-f", "-qq", "-e", "trace=none", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        _missing(f"strace cannot trace here: {probe.stderr.strip()[-300:]}")
    log = tmp_path / "strace.log"
    result = _process(tmp_path, model_cache, [strace, "-f", "-qq", "-e", "trace=connect,execve", "-o", str(log)])
    assert result["state"] == "done", result["message"]
    trace = log.read_text(errors="replace")
    assert re.search(r"execve\(.*ffmpeg", trace)  # strace followed the whole tree of processes
    assert _outside_connections(trace) == []


def test_the_strace_check_would_see_a_connection():
    # the parser above must not pass everything: these are what strace prints
    lines = [
        'connect(4, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = 0',
        'connect(3, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("13.107.5.93")}, 16) = -1',
        'connect(3, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), '
        'inet_pton(AF_INET6, "2606:4700::1", &sin6_addr), sin6_scope_id=0}, 28) = -1',
        'connect(3, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("127.0.0.53")}, 16) = 0',
    ]
    harmless = [
        'connect(4, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT',
        'connect(5, {sa_family=AF_INET, sin_port=htons(8000), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
    ]
    assert _outside_connections("\n".join(lines + harmless)) == lines


# run in a subprocess: huggingface_hub imported before or after stay_offline(), then asked
# for a model file it does not have, with an audit hook watching for the network
HUB_SCRIPT = r'''
import json, os, subprocess, sys
seen = []
sys.addaudithook(lambda event, args: seen.append(event) if event.startswith(("socket.", "urllib.")) else None)
if sys.argv[1] == "before":
    import huggingface_hub.constants
from storyatlas.offline import stay_offline
stay_offline()
import huggingface_hub
from huggingface_hub import constants
try:
    huggingface_hub.hf_hub_download("Systran/faster-whisper-tiny", "config.json", cache_dir=sys.argv[2])
    refused = None
except Exception as e:
    refused = type(e).__name__
child = subprocess.run([sys.executable, "-c", "import json, os; print(json.dumps(dict(os.environ)))"],
                       capture_output=True, text=True, check=True)
print(json.dumps({"refused": refused, "network": seen, "child": json.loads(child.stdout),
                  "constants": {name: getattr(constants, name) for name in
                                ("HF_HUB_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "HF_HUB_DISABLE_UPDATE_CHECK")}}))
'''

# what huggingface_hub, transformers, onnxruntime and the common conventions read
TOLD = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "HF_HUB_DISABLE_UPDATE_CHECK",
        "HF_HUB_DISABLE_IMPLICIT_TOKEN", "ORT_DISABLE_TELEMETRY", "DISABLE_TELEMETRY", "DO_NOT_TRACK")


@pytest.mark.parametrize("imported", ["before", "after"])
def test_huggingface_hub_downloads_nothing_whenever_it_was_imported(tmp_path, imported):
    env = {k: v for k, v in os.environ.items() if k not in TOLD and not k.startswith("HF_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-c", HUB_SCRIPT, imported, str(tmp_path / "hub")],
                          capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["refused"] == "LocalEntryNotFoundError" and result["network"] == []
    assert all(result["constants"].values()), result["constants"]
    # and the programs it starts (ffmpeg, a worker) are told the same
    assert {name: result["child"].get(name) for name in TOLD} == dict.fromkeys(TOLD, "1")
