"""Kernels 7 and 8: MinHash near-duplicates and the hashed n-gram embedder."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio import native

from .reference import char_shingles, jaccard, word_shingles

words = st.text(alphabet="abcdé ", max_size=60)


@settings(max_examples=150, deadline=None)
@given(a=words, b=words, unit=st.sampled_from(["char", "word"]), k=st.integers(1, 6))
def test_exact_jaccard_matches_sets(a: str, b: str, unit: str, k: int) -> None:
    result = native.find_near_duplicates([a, b], threshold=0.01, unit=unit, k=k, bands=128, rows=1)
    sets = (char_shingles, word_shingles)[unit == "word"]
    expected = jaccard(sets(a, k), sets(b, k))
    if expected >= 0.01 and result.candidates:
        assert result.jaccard.tolist() == pytest.approx([expected])
    elif result.candidates == 0:
        assert expected < 0.2  # bands of one row: any shared shingle minimum makes a candidate


def test_signature_estimates_jaccard() -> None:
    rng = np.random.default_rng(0)
    base = " ".join("".join(rng.choice(list("abcdefgh"), 6)) for _ in range(200))
    edited = base[:600] + "zzzzzz" + base[606:]
    sig = native.minhash_signatures([base, edited], num_perm=256)
    estimate = np.mean(sig[0] == sig[1])
    assert estimate == pytest.approx(jaccard(char_shingles(base, 5), char_shingles(edited, 5)),
                                     abs=0.08)


def test_near_duplicates_finds_planted_pairs(threads: int) -> None:
    rng = np.random.default_rng(2)
    vocab = ["".join(rng.choice(list("abcdefghij"), rng.integers(2, 8))) for _ in range(3000)]
    texts = [" ".join(rng.choice(vocab, 80)) for _ in range(2000)]
    planted = []
    for i in range(0, 2000, 50):
        words = texts[i].split()
        words[3] = "changed"
        texts.append(" ".join(words))
        planted.append((i, len(texts) - 1))
    texts.append("")  # an empty text never pairs
    result = native.find_near_duplicates(texts, threshold=0.8, threads=threads)
    found = set(map(tuple, result.pairs.tolist()))
    assert set(planted) <= found
    assert np.all(result.jaccard >= 0.8)
    again = native.find_near_duplicates(texts, threshold=0.8, threads=1)
    np.testing.assert_array_equal(result.pairs, again.pairs)


def test_lsh_params_are_sensible() -> None:
    bands, rows = native.lsh_params(0.8, 128)
    assert bands * rows <= 128 and rows >= 2
    assert 1 - (1 - 0.9**rows) ** bands > 0.95


@settings(max_examples=100, deadline=None)
@given(texts=st.lists(st.text(max_size=80), max_size=6))
def test_embedder_rows_are_unit_or_zero_and_deterministic(texts: list[str]) -> None:
    a = native.embed_texts(texts)
    b = native.embed_texts(list(texts), threads=1)
    assert a.shape == (len(texts), 384) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    norms = np.linalg.norm(a, axis=1)
    for text, norm in zip(texts, norms, strict=True):
        if len(text) >= 3:
            assert norm == pytest.approx(1.0, abs=1e-5)
        elif not text:
            assert norm == 0.0


def test_embedder_similarity_tracks_overlap() -> None:
    e = native.embed_texts(["the cuda kernel ran out of memory",
                            "The CUDA kernel ran out of memory!",
                            "quarterly revenue grew by four percent"])
    assert e[0] @ e[1] > 0.8 > 0.3 > e[0] @ e[2]


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=60) | st.binary(max_size=60), dim=st.integers(1, 64),
       lo=st.integers(1, 4), span=st.integers(0, 3), lowercase=st.booleans())
def test_embedder_matches_python_reference(text, dim: int, lo: int, span: int,
                                           lowercase: bool) -> None:
    got = native.embed_texts([text], dim=dim, ngram_range=(lo, lo + span), lowercase=lowercase,
                             seed=7)
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    expected = embed_reference(raw, dim, lo, lo + span, lowercase, 7)
    np.testing.assert_allclose(got[0], expected, rtol=1e-6, atol=1e-7)


def test_embedder_invalid_utf8_and_bytes() -> None:
    e = native.embed_texts([b"\xff\xfe broken \xc3", "ok"])
    assert np.isfinite(e).all()


@pytest.mark.parametrize(("call", "error"), [
    (lambda: native.embed_texts("not a list"), TypeError),
    (lambda: native.embed_texts(["x"], dim=0), ValueError),
    (lambda: native.embed_texts(["x"], ngram_range=(4, 2)), ValueError),
    (lambda: native.minhash_signatures(["x"], unit="line"), ValueError),
    (lambda: native.find_near_duplicates(["x"], bands=100, rows=2), ValueError),
])
def test_bad_input(call, error) -> None:
    with pytest.raises(error):
        call()


M64 = (1 << 64) - 1


def feature_of(state: int, length: int) -> int:
    x = (state + length) & M64
    x ^= x >> 32
    x = (x * 0xD6E8FEB86659FD93) & M64
    x ^= x >> 32
    return x & 0xFFFFFFFF


def embed_reference(data: bytes, dim: int, lo: int, hi: int, lowercase: bool,
                    seed: int) -> np.ndarray:
    """The embedder as specified in docs/native.md, in plain Python."""
    import math

    if lowercase:
        data = bytes(c + 32 if 65 <= c <= 90 else c for c in data)
    starts = [i for i, c in enumerate(data) if c & 0xC0 != 0x80]
    chars = len(starts)
    starts.append(len(data))
    counts: dict[int, int] = {}  # insertion order = first seen, as in the kernel
    for c in range(chars):
        h = 0xCBF29CE484222325 ^ seed
        for length in range(1, min(hi, chars - c) + 1):
            for j in range(starts[c + length - 1], starts[c + length]):
                h = ((h ^ data[j]) * 0x100000001B3) & M64
            if length >= lo:
                f = feature_of(h, length)
                counts[f] = min(counts.get(f, 0) + 1, 0xFFFF)
    row = [0.0] * dim
    for f, count in counts.items():
        weight = 1.0 + math.log(count)
        row[(f * dim) >> 32] += -weight if f & 1 else weight
    norm = math.sqrt(sum(v * v for v in row))
    return np.array([v / norm if norm > 0 else 0.0 for v in row], dtype=np.float32)
