"""Meaning, not only words: a query compared with the everyday phrases of the vocabulary by sentence
embeddings, so "nobody visits me" finds loneliness though no phrase has those words.

The phrases' vectors are worked out once per process (new phrases as an admin adds them) and the query's
for each search (about 4 ms). Used only when the model is installed (``core/meaning.py``).
"""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np

from ..core import meaning
from .words import Lexicon, Understanding

# Cosine similarity a phrase must reach to count, and how many of the nearest phrases vote.
THRESHOLD = 0.5
NEAREST = 5
# When the words name several needs, each is weighed by (its nearness in meaning / the nearest's) to this power:
# steep, so that a word saying where or whose ("work", "money") does not outweigh what the query is about.
SHARPEN = 3
_vectors: dict[str, np.ndarray] = {}
_matrices: dict[int, tuple[tuple[str, ...], np.ndarray]] = {}
_lock = threading.Lock()


def _matrix(lexicon: Lexicon) -> tuple[tuple[str, ...], np.ndarray]:
    """The phrases that name needs and their vectors, kept per lexicon (rebuilt only for new phrases)."""
    key = id(lexicon)
    with _lock:
        kept = _matrices.get(key)
    if kept is not None:
        return kept
    phrases = tuple(e.phrase for e in lexicon.entries if e.needs)
    missing = [p for p in phrases if p not in _vectors]
    if missing:
        for phrase, vector in zip(missing, meaning.embed(missing), strict=True):
            _vectors[phrase] = vector
    matrix = np.vstack([_vectors[p] for p in phrases]) if phrases else np.zeros((0, meaning.DIMENSIONS))
    with _lock:
        _matrices.clear()  # one lexicon at a time per process is enough (tests use several databases)
        _matrices[key] = (phrases, matrix)
    return phrases, matrix


def needs_by_meaning(vector: np.ndarray, lexicon: Lexicon) -> dict[str, float]:
    """Need -> similarity (THRESHOLD to 1) of the everyday phrases nearest the query's vector that name it;
    empty when none is near."""
    phrases, matrix = _matrix(lexicon)
    if not phrases:
        return {}
    similarity = matrix @ vector
    nearest = np.argsort(-similarity)[:NEAREST]
    needs_of = {e.phrase: e.needs for e in lexicon.entries}
    found: dict[str, float] = {}
    for index in nearest:
        score = float(similarity[index])
        if score < THRESHOLD:
            break
        for need in needs_of[phrases[index]]:
            found[need] = max(found.get(need, 0.0), score)
    return found


def need_similarities(vector: np.ndarray, lexicon: Lexicon) -> dict[str, float]:
    """Need -> the similarity of the query to the nearest everyday phrase naming it (any distance)."""
    phrases, matrix = _matrix(lexicon)
    if not phrases:
        return {}
    similarity = matrix @ vector
    needs_of = {e.phrase: e.needs for e in lexicon.entries}
    found: dict[str, float] = {}
    for phrase, score in zip(phrases, similarity.tolist(), strict=True):
        for need in needs_of[phrase]:
            if score > found.get(need, -1.0):
                found[need] = score
    return found


def with_meaning(understood: Understanding, lexicon: Lexicon, vector: np.ndarray | None) -> Understanding:
    """Needs the words did not name, from the nearest everyday phrases by meaning (when the model is there);
    when the words named several, the one the whole query means most is weighed highest ("stress at work"
    is about stress, "my boyfriend controls my money" about control, not money)."""
    if vector is None:
        return understood
    if len(understood.needs) > 1:
        near = need_similarities(vector, lexicon)
        best_near = max((near.get(n, 0.0) for n in understood.needs), default=0.0)
        if best_near <= 0:
            return understood
        weights = {n: w * (max(near.get(n, 0.0), 0.0) / best_near) ** SHARPEN for n, w in understood.weights.items()}
        return replace(understood, needs=tuple(sorted(weights, key=lambda n: -weights[n])), weights=weights)
    if understood.needs:
        return understood
    found = needs_by_meaning(vector, lexicon)
    if not found:
        return understood
    best = max(found.values())
    weights = {need: score / best for need, score in found.items()}
    return replace(understood, needs=tuple(sorted(weights, key=lambda n: -weights[n])), weights=weights)
