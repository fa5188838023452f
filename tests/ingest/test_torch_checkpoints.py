"""The speaker encoder's weights read from torch's own file formats without torch: files
written here as torch writes them (a stand-in ``torch`` module lets pickle name torch's
globals), read back as arrays, every malformed one refused with WeightsError, and the
encoder built only from what has its weights' shape."""

from __future__ import annotations

import io
import pickle
import struct
import sys
import types
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

from storyatlas.ingest.voice_encoder import VoiceEncoder, WeightsError, load_checkpoint

MAGIC, PROTOCOL = 0x1950A86A20F9469CFC6C, 1001


class _Storage:
    def __init__(self, key: str, data: np.ndarray) -> None:
        self.key, self.data = key, data


class _Tensor:
    """Pickles as torch pickles a tensor: a call of _rebuild_tensor_v2 on a storage."""

    def __init__(self, storage: _Storage, offset: int, shape: tuple, stride: tuple) -> None:
        self.args = (storage, offset, shape, stride, False, OrderedDict())

    def __reduce__(self):
        return sys.modules["torch._utils"]._rebuild_tensor_v2, self.args


@pytest.fixture
def torch_names(monkeypatch):
    """A stand-in for the torch globals a checkpoint names (torch is not installed)."""
    torch, utils = types.ModuleType("torch"), types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise AssertionError("never called: only named")

    class FloatStorage:
        pass

    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
    FloatStorage.__module__, FloatStorage.__qualname__ = "torch", "FloatStorage"
    utils._rebuild_tensor_v2, torch.FloatStorage, torch._utils = _rebuild_tensor_v2, FloatStorage, utils
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)
    return torch


def _pickled(obj, torch, reference=None) -> bytes:
    class Pickler(pickle.Pickler):
        def persistent_id(self, o):
            if isinstance(o, _Storage):
                return reference or ("storage", torch.FloatStorage, o.key, "cpu", o.data.size)
            return None

    out = io.BytesIO()
    Pickler(out, protocol=2).dump(obj)
    return out.getvalue()


def _state(torch_storages: dict[str, _Storage]):
    """Two weights sharing one storage (as torch saves a module's parameters), a list of them."""
    weights = torch_storages["0"] = _Storage("0", np.arange(12, dtype="<f4"))
    bias = torch_storages["1"] = _Storage("1", np.array([0.5, -1.5], dtype="<f4"))
    return {"model_state": OrderedDict([
        ("lstm.weight", _Tensor(weights, 0, (3, 2), (2, 1))),
        ("lstm.weight_t", _Tensor(weights, 6, (2, 3), (1, 2))),  # a transposed view at an offset
        ("biases", [_Tensor(bias, 0, (2,), (1,)), _Tensor(bias, 1, (1,), (1,))]),
    ]), "step": 7}


def _tensors(obj, storages: dict[str, _Storage]):
    """Arrays in ``obj`` as tensors, each on a storage of its own."""
    if isinstance(obj, np.ndarray):
        key, array = str(len(storages)), np.ascontiguousarray(obj, dtype="<f4")
        storages[key] = _Storage(key, array.ravel())
        return _Tensor(storages[key], 0, array.shape, tuple(s // 4 for s in array.strides))
    if isinstance(obj, dict):
        return {k: _tensors(v, storages) for k, v in obj.items()}
    return obj


def write_legacy(path: Path, torch, *, protocol=PROTOCOL, keys=None, cut=0, reference=None, state=None) -> None:
    storages: dict[str, _Storage] = {}
    obj = _pickled(_state(storages) if state is None else _tensors(state, storages), torch, reference)
    with open(path, "wb") as f:
        for part in (MAGIC, protocol, {"little_endian": True}):
            pickle.dump(part, f, protocol=2)
        f.write(obj)
        pickle.dump(list(storages) if keys is None else keys, f, protocol=2)
        for key in storages if keys is None else keys:
            data = storages[key].data if key in storages else np.zeros(1, "<f4")
            f.write(struct.pack("<q", data.size) + data.tobytes())
        if cut:
            f.truncate(f.tell() - cut)


def write_zip(path: Path, torch, *, pkl="archive/data.pkl") -> None:
    storages: dict[str, _Storage] = {}
    obj = _pickled(_state(storages), torch)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(pkl, obj)
        for key, storage in storages.items():
            z.writestr(f"archive/data/{key}", storage.data.tobytes())


@pytest.mark.parametrize("write", [write_legacy, write_zip], ids=["legacy", "zip"])
def test_a_checkpoint_reads_as_arrays_of_their_own(tmp_path, torch_names, write, monkeypatch):
    path = tmp_path / "weights.pt"
    write(path, torch_names)
    for name in ("torch", "torch._utils"):  # read as where torch is not installed
        monkeypatch.delitem(sys.modules, name)
    read = load_checkpoint(path)
    state = read["model_state"]
    assert read["step"] == 7 and isinstance(state, OrderedDict)
    assert state["lstm.weight"].tolist() == [[0, 1], [2, 3], [4, 5]]
    assert state["lstm.weight_t"].tolist() == [[6, 8, 10], [7, 9, 11]]
    assert [b.tolist() for b in state["biases"]] == [[0.5, -1.5], [-1.5]]
    arrays = [state["lstm.weight"], state["lstm.weight_t"], *state["biases"]]
    # each its own and writeable, not a view that keeps the whole file's bytes alive
    assert all(a.flags.owndata and a.flags.writeable and a.dtype == np.float32 for a in arrays)


@pytest.mark.parametrize("damage, message", [
    ({"protocol": 1000}, "not a torch checkpoint"),
    ({"keys": ["0", "1", "9"]}, "storage 9 is not used"),
    ({"keys": ["0"]}, "storage 1 is missing"),
    ({"cut": 3}, "cut short"),
    ({"reference": ("module", "os.system")}, "unexpected storage reference"),
    ({"reference": ("module", "FloatStorage", "0", "cpu", 12)}, "unexpected storage reference"),
    ({"reference": ("storage", "QInt8Storage", "0", "cpu", 12)}, "unexpected storage reference"),
], ids=["protocol", "unused-storage", "missing-storage", "cut-short", "not-a-storage", "not-a-storage-5",
        "unknown-type"])
def test_a_damaged_legacy_checkpoint_is_refused(tmp_path, torch_names, damage, message):
    path = tmp_path / "weights.pt"
    write_legacy(path, torch_names, **damage)
    with pytest.raises(WeightsError, match=message):
        load_checkpoint(path)


def test_a_zip_without_the_pickle_is_refused(tmp_path, torch_names):
    path = tmp_path / "weights.pt"
    write_zip(path, torch_names, pkl="archive/other.pkl")
    with pytest.raises(WeightsError, match="no data.pkl"):
        load_checkpoint(path)


def _encoder_state(hidden: int, out: int, linear_bias: float) -> dict:
    rng = np.random.default_rng(7)
    state = {}
    for layer, inputs in enumerate((40, hidden, hidden)):
        state[f"lstm.weight_ih_l{layer}"] = rng.normal(size=(4 * hidden, inputs))
        state[f"lstm.weight_hh_l{layer}"] = rng.normal(size=(4 * hidden, hidden))
        state[f"lstm.bias_ih_l{layer}"] = rng.normal(size=4 * hidden)
        state[f"lstm.bias_hh_l{layer}"] = rng.normal(size=4 * hidden)
    state["linear.weight"] = rng.normal(size=(out, hidden))
    state["linear.bias"] = np.full(out, linear_bias)
    return {"model_state": state}


@pytest.mark.parametrize("state", [[1, 2], {"model_state": {"lstm.weight_ih_l0": "weights"}}, {"step": 7}],
                         ids=["a-list", "not-arrays", "no-lstm"])
def test_a_checkpoint_of_something_else_is_no_encoder(tmp_path, torch_names, state):
    path = tmp_path / "weights.pt"
    write_legacy(path, torch_names, state=state)
    with pytest.raises(WeightsError, match="not the speaker encoder's weights"):
        VoiceEncoder(path)


def test_a_window_the_encoder_hears_as_nothing_is_a_zero_vector_not_nan(tmp_path, torch_names):
    """Every output below zero: the ReLU leaves nothing to normalise."""
    path = tmp_path / "weights.pt"
    write_legacy(path, torch_names, state=_encoder_state(hidden=3, out=5, linear_bias=-100.0))
    encoder = VoiceEncoder(path)
    assert encoder.embed(np.ones((2, 4, 40), np.float32)).tolist() == [[0.0] * 5] * 2
    write_legacy(path, torch_names, state=_encoder_state(hidden=3, out=5, linear_bias=0.5))
    heard = VoiceEncoder(path).embed(np.ones((2, 4, 40), np.float32))
    assert np.linalg.norm(heard, axis=1) == pytest.approx([1.0, 1.0])
