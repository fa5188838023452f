"""Resemblyzer's speaker encoder (GE2E: 40 mel bands, a 3-layer LSTM of 256, a linear
layer, ReLU, L2 norm) run with numpy alone. PyPI's ``Resemblyzer`` wheel carries the
trained weights (``resemblyzer/pretrained.pt``, Apache-2.0) but needs torch, librosa and
webrtcvad to use them; here the weights are read from the torch checkpoint by a pickle
reader that rebuilds tensors as arrays and refuses anything else, the mel spectrogram is
librosa's (Slaney mel scale and norm, power spectrum, centred frames) and the LSTM is
torch's (gates i, f, g, o; both biases). Install the wheel alone:
``pip install --no-deps resemblyzer==0.1.4``.
"""

from __future__ import annotations

import importlib.util
import io
import pickle
import struct
import zipfile
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import numpy as np

RATE = 16_000
WINDOW = RATE * 25 // 1000  # 400 samples, the FFT size too
HOP = RATE * 10 // 1000  # 160 samples: 100 frames a second
N_MELS = 40
PARTIAL_FRAMES = 160  # what the encoder was trained on: 1.6 s
TARGET_DBFS = -30  # volume the encoder expects (raised to, never lowered)
_INT16_MAX = 2 ** 15 - 1
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class WeightsError(ValueError):
    """The checkpoint is not the one expected, or holds something other than tensors."""


def weights_path() -> Path | None:
    """Where the Resemblyzer wheel put its weights, without importing it (that needs torch)."""
    try:
        spec = importlib.util.find_spec("resemblyzer")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = Path(folder) / "pretrained.pt"
        if found.is_file():
            return found
    return None


# reading a torch checkpoint without torch ---------------------------------------------

_DTYPES = {"FloatStorage": "<f4", "DoubleStorage": "<f8", "HalfStorage": "<f2", "LongStorage": "<i8",
           "IntStorage": "<i4", "ShortStorage": "<i2", "CharStorage": "i1", "ByteStorage": "u1",
           "BoolStorage": "?"}


class _Storage:
    def __init__(self, dtype: str, key: str, numel: int | None):
        self.dtype, self.key, self.numel = np.dtype(dtype), key, numel
        self.data: np.ndarray | None = None


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None):
    return ("tensor", storage, int(offset), tuple(size), tuple(stride))


class _Unpickler(pickle.Unpickler):
    """Only what a checkpoint of tensors needs: anything else (a pickle can run any
    callable it names) is refused before it is looked up."""

    def __init__(self, file, storages: dict[str, _Storage]):
        super().__init__(file)
        self.storages = storages

    def find_class(self, module, name):
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if module == "torch" and name in _DTYPES:
            return name
        raise WeightsError(f"the checkpoint names {module}.{name}: only tensors are read")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage" and pid[1] in _DTYPES):
            raise WeightsError(f"unexpected storage reference {pid!r:.80}")
        key = str(pid[2])
        if key not in self.storages:
            self.storages[key] = _Storage(_DTYPES[pid[1]], key, int(pid[4]))
        return self.storages[key]


def _tensors(obj):
    """Replace the placeholders by arrays once every storage is read."""
    if isinstance(obj, tuple) and len(obj) == 5 and obj[0] == "tensor" and isinstance(obj[1], _Storage):
        _, storage, offset, size, stride = obj
        item = storage.dtype.itemsize
        if storage.data is None:
            raise WeightsError(f"storage {storage.key} is missing")
        return np.lib.stride_tricks.as_strided(storage.data[offset:], shape=size,
                                               strides=[s * item for s in stride]).copy()
    if isinstance(obj, dict):
        return type(obj)((k, _tensors(v)) for k, v in obj.items())
    if isinstance(obj, list):
        return [_tensors(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_tensors(v) for v in obj)
    return obj


def load_checkpoint(path: Path) -> dict:
    """A torch checkpoint (the zip format of torch >= 1.6, or the older stream of pickles
    that pretrained.pt is) as plain objects with numpy arrays for tensors."""
    storages: dict[str, _Storage] = {}
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            pkl = next((n for n in names if n.endswith("/data.pkl") or n == "data.pkl"), None)
            if pkl is None:
                raise WeightsError("no data.pkl in the checkpoint")
            prefix = pkl[: -len("data.pkl")]
            obj = _Unpickler(io.BytesIO(z.read(pkl)), storages).load()
            for key, s in storages.items():
                s.data = np.frombuffer(z.read(f"{prefix}data/{key}"), dtype=s.dtype)
        return _tensors(obj)
    with open(path, "rb") as f:
        header = [_Unpickler(f, storages).load() for _ in range(3)]
        if header[0] != _LEGACY_MAGIC or header[1] != 1001:
            raise WeightsError("not a torch checkpoint")
        obj = _Unpickler(f, storages).load()
        keys = _Unpickler(f, storages).load()
        for key in keys:
            s = storages.get(key)
            if s is None:
                raise WeightsError(f"storage {key} is not used by the checkpoint")
            (numel,) = struct.unpack("<q", f.read(8))
            raw = f.read(numel * s.dtype.itemsize)
            if len(raw) != numel * s.dtype.itemsize:
                raise WeightsError("the checkpoint is cut short")
            s.data = np.frombuffer(raw, dtype=s.dtype)
    return _tensors(obj)


# the encoder ---------------------------------------------------------------------------

def _hz_to_mel(f):
    f = np.asarray(f, dtype=np.float64)
    mels = f / (200.0 / 3)
    log = f >= 1000.0
    return np.where(log, 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0), mels)


def _mel_to_hz(m):
    m = np.asarray(m, dtype=np.float64)
    freqs = m * (200.0 / 3)
    return np.where(m >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), freqs)


@lru_cache(maxsize=1)
def mel_filters() -> np.ndarray:
    """librosa.filters.mel(sr=16000, n_fft=400, n_mels=40): Slaney scale, Slaney norm."""
    fft_freqs = np.linspace(0, RATE / 2, 1 + WINDOW // 2)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(RATE / 2), N_MELS + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    weights = np.zeros((N_MELS, len(fft_freqs)), dtype=np.float32)
    for i in range(N_MELS):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2:N_MELS + 2] - mel_f[:N_MELS]))[:, None]
    return weights


def mel_spectrogram(wav: np.ndarray) -> np.ndarray:
    """Frames x 40: librosa.feature.melspectrogram(y=wav, sr=16000, n_fft=400,
    hop_length=160, n_mels=40) transposed: the power (not log) mel spectrogram of centred
    Hann frames (reflect padding, as the librosa the encoder was trained with)."""
    wav = np.asarray(wav, dtype=np.float32)
    padded = np.pad(wav, WINDOW // 2, mode="reflect" if len(wav) > WINDOW // 2 else "constant")
    n = 1 + (len(padded) - WINDOW) // HOP
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(WINDOW) / WINDOW)).astype(np.float32)
    out = np.empty((n, N_MELS), dtype=np.float32)
    filters = mel_filters().T
    for start in range(0, n, 4096):  # an hour at once would take gigabytes
        idx = np.arange(start, min(n, start + 4096))[:, None] * HOP + np.arange(WINDOW)[None, :]
        spectrum = np.fft.rfft(padded[idx] * window, axis=1)
        power = (spectrum.real ** 2 + spectrum.imag ** 2).astype(np.float32)
        out[start:start + len(idx)] = power @ filters
    return out


def normalize_volume(wav: np.ndarray) -> np.ndarray:
    """Raise quiet audio to -30 dBFS, as Resemblyzer's preprocessing does (never lowered)."""
    wav = np.asarray(wav, dtype=np.float32)
    rms = float(np.sqrt(np.mean((wav.astype(np.float64) * _INT16_MAX) ** 2))) if len(wav) else 0.0
    if rms <= 0:
        return wav
    change = TARGET_DBFS - 20 * np.log10(rms / _INT16_MAX)
    return wav if change < 0 else wav * np.float32(10 ** (change / 20))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow for large |x|


class VoiceEncoder:
    """Embeds batches of mel windows as 256-dimensional unit vectors (same voice: close)."""

    def __init__(self, weights: Path | None = None):
        path = weights or weights_path()
        if path is None:
            raise FileNotFoundError("Resemblyzer's weights are not installed: "
                                    "pip install --no-deps resemblyzer==0.1.4")
        state = load_checkpoint(Path(path))
        state = state.get("model_state", state) if isinstance(state, dict) else state
        try:
            self.layers = []
            for layer in range(3):
                w_ih = state[f"lstm.weight_ih_l{layer}"].astype(np.float32)
                w_hh = state[f"lstm.weight_hh_l{layer}"].astype(np.float32)
                bias = (state[f"lstm.bias_ih_l{layer}"] + state[f"lstm.bias_hh_l{layer}"]).astype(np.float32)
                self.layers.append((np.ascontiguousarray(w_ih.T), np.ascontiguousarray(w_hh.T), bias))
            self.linear_w = np.ascontiguousarray(state["linear.weight"].astype(np.float32).T)
            self.linear_b = state["linear.bias"].astype(np.float32)
        except (KeyError, TypeError, AttributeError) as e:
            raise WeightsError(f"not the speaker encoder's weights: {e}") from None
        self.hidden = self.layers[0][1].shape[0]

    def embed(self, mels: np.ndarray) -> np.ndarray:
        """(batch, frames, 40) mel windows -> (batch, 256) unit vectors."""
        x = np.asarray(mels, dtype=np.float32)
        batch, frames, _ = x.shape
        h = np.zeros((batch, self.hidden), dtype=np.float32)
        for w_ih, w_hh, bias in self.layers:
            inputs = (x.reshape(batch * frames, -1) @ w_ih + bias).reshape(batch, frames, -1)
            h = np.zeros((batch, self.hidden), dtype=np.float32)
            c = np.zeros((batch, self.hidden), dtype=np.float32)
            outputs = np.empty((batch, frames, self.hidden), dtype=np.float32)
            for t in range(frames):
                gates = inputs[:, t] + h @ w_hh
                i, f, g, o = np.split(gates, 4, axis=1)
                c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
                h = _sigmoid(o) * np.tanh(c)
                outputs[:, t] = h
            x = outputs
        raw = np.maximum(h @ self.linear_w + self.linear_b, 0)
        norm = np.linalg.norm(raw, axis=1, keepdims=True)
        return raw / np.where(norm > 0, norm, 1)


@lru_cache(maxsize=1)
def encoder() -> VoiceEncoder:
    """The installed encoder, read once per process."""
    return VoiceEncoder()
