"""The sentence-embedding model: installed from PyPI, run offline on the CPU, meaning before spelling."""

from __future__ import annotations

import numpy as np
import pytest

from directory.core import meaning

pytestmark = pytest.mark.skipif(
    not meaning.installed() and not __import__("os").environ.get("CI"),
    reason="the meaning extra is not installed (CI installs it, so there this is a failure)",
)


def test_texts_become_unit_vectors_of_the_model_s_size() -> None:
    vectors = meaning.embed(["money worries", "", "debt advice drop-in"])
    assert vectors.shape == (3, meaning.DIMENSIONS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert meaning.embed([]).shape == (0, meaning.DIMENSIONS)


def test_near_meanings_are_nearer_than_far_ones() -> None:
    query, debt, knitting = meaning.embed(["I can't pay my bills", "Debt and money advice", "Knitting circle"])
    assert float(query @ debt) > float(query @ knitting) + 0.1


def test_vectors_round_trip_through_bytes_and_batches_agree() -> None:
    texts = [f"service number {n}" for n in range(40)]
    one_by_one = np.vstack([meaning.embed([t]) for t in texts[:3]])
    batched = meaning.embed(texts, batch=16)
    assert np.allclose(one_by_one, batched[:3], atol=1e-4)
    assert np.array_equal(meaning.from_bytes(meaning.to_bytes(batched[0])), batched[0])


def test_the_setting_switches_meaning_off() -> None:
    assert meaning.available("auto") == meaning.installed()
    assert not meaning.available("off")
