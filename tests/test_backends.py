"""The default backend is the one Keras would pick."""

from __future__ import annotations

import json

import pytest

from grader.backends import default_backend, resolve_backends


def test_keras_backend_variable_wins(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    assert default_backend() == "torch"


def test_then_keras_json(monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "keras.json").write_text(json.dumps({"backend": "jax"}))
    assert default_backend() == "jax"


def test_then_tensorflow(monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "nowhere"))
    assert default_backend() == "tensorflow"


def test_all_means_every_installed_backend():
    assert resolve_backends("all") == ["jax", "tensorflow", "torch"]


def test_an_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="Unknown backend 'mxnet'"):
        resolve_backends("mxnet")
