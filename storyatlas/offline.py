"""Nothing leaves the machine: the libraries that would reach out on their own are told
not to, before they load.

faster-whisper imports huggingface_hub (which can check for updates, send telemetry and
download models), and its voice detection loads onnxruntime, whose Linux wheels (1.2x and
later) send usage events to mobile.events.data.microsoft.com from a background thread
unless ORT_DISABLE_TELEMETRY is set when a session starts (``disable_telemetry_events()``
alone does not stop them: tests/transcribe/test_offline.py watched it look the host up).
Story Atlas never needs the network, so ``stay_offline()`` is called before either is
imported (``transcribe.whisper`` does it when it loads a model).
"""

from __future__ import annotations

import functools
import logging
import os
import sys

log = logging.getLogger(__name__)

# what onnxruntime's native code and huggingface_hub's constants module (at import) read,
# and the common conventions
OFFLINE_ENVIRONMENT = {
    "ORT_DISABLE_TELEMETRY": "1",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_UPDATE_CHECK": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
}


def stay_offline() -> None:
    """Switch off the network use of huggingface_hub and onnxruntime, in this process and
    the processes it starts. Safe to call any number of times."""
    os.environ.update(OFFLINE_ENVIRONMENT)
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        # imported before this was called: its constants were read from the old environment
        constants.HF_HUB_OFFLINE = True
        constants.HF_HUB_DISABLE_TELEMETRY = True
        constants.HF_HUB_DISABLE_UPDATE_CHECK = True
    _quiet_onnxruntime()


@functools.cache
def _quiet_onnxruntime() -> None:
    try:
        import onnxruntime
    except ImportError:  # only voice detection needs it
        return
    disable = getattr(onnxruntime, "disable_telemetry_events", None)
    if disable is not None:
        disable()
    log.debug("onnxruntime telemetry events disabled")
