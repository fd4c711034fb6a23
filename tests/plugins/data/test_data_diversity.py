"""Diversity figures, near-duplicates, the map and the embedding cache, each against a
brute-force or textbook computation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from studio.core.jobs import NULL_CONTEXT
from studio.plugins.data.analysis import analyse_diversity
from studio.plugins.data.dataset import read_dataset
from studio.plugins.data.diversity import (
    Moments,
    distinct_n,
    mean_pairwise_cosine_distance,
    near_duplicate_clusters,
    vendi_score,
)
from studio.plugins.data.embeddings import (
    EmbedderSpec,
    EmbeddingCache,
    hashed_ngram_embedder,
)
from studio.plugins.data.lengths import length_report, load_token_counter
from studio.plugins.data.projection import pca_2d, project


def test_distinct_n_by_hand():
    texts = ["the cat sat", "The cat ran", "x"]
    # unigrams: the cat sat the cat ran x -> 7 total, {the, cat, sat, ran, x} = 5
    assert distinct_n(texts, 1) == pytest.approx(5 / 7)
    # bigrams: (the cat)(cat sat)(the cat)(cat ran) -> 4 total, 3 distinct ("x" has none)
    assert distinct_n(texts, 2) == pytest.approx(3 / 4)
    assert distinct_n(["a"], 2) is None


def test_cosine_distance_and_vendi_against_the_n_by_n_kernel():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 16)).astype(np.float32)
    x[5] = 0.0  # an empty text: left out
    unit = x[np.linalg.norm(x, axis=1) > 0]
    unit = unit / np.linalg.norm(unit, axis=1, keepdims=True)
    kernel = unit.astype(np.float64) @ unit.T.astype(np.float64)
    n = len(unit)
    pairs = [1 - kernel[i, j] for i, j in itertools.permutations(range(n), 2)]
    assert mean_pairwise_cosine_distance(x) == pytest.approx(np.mean(pairs), rel=1e-5)
    eigenvalues = np.linalg.eigvalsh(kernel / n)
    eigenvalues = eigenvalues[eigenvalues > 1e-12]
    expected = np.exp(-np.sum(eigenvalues * np.log(eigenvalues)))
    assert vendi_score(x) == pytest.approx(expected, rel=1e-4)
    moments = Moments.of(x[:20]) + Moments.of(x[20:])
    assert vendi_score(moments) == pytest.approx(expected, rel=1e-4)


def test_vendi_reads_as_an_effective_count():
    one = np.tile(np.array([[1.0, 0, 0]], np.float32), (10, 1))
    assert vendi_score(one) == pytest.approx(1.0)
    assert vendi_score(np.eye(4, dtype=np.float32)) == pytest.approx(4.0)
    assert mean_pairwise_cosine_distance(one) == pytest.approx(0.0, abs=1e-6)
    assert vendi_score(np.zeros((3, 4), np.float32)) is None


def _shingles(text: str, k: int = 5) -> set[str]:
    return {text[i:i + k] for i in range(max(1, len(text) - k + 1))} if text else set()


def test_near_duplicate_clusters_equal_brute_force_jaccard(sample_dataset):
    texts = [s.text for s in read_dataset(sample_dataset.folder).samples]
    report = near_duplicate_clusters(texts, 0.8)
    sets = [_shingles(t) for t in texts]
    expected = {(i, j) for i, j in itertools.combinations(range(len(texts)), 2)
                if len(sets[i] & sets[j]) / len(sets[i] | sets[j]) >= 0.8}
    found = {pair for c in report.clusters for pair in itertools.combinations(c.members, 2)}
    assert found == expected  # here every cluster is a pair
    assert len(report.clusters) == len(sample_dataset.planted) == 8
    assert report.removable == 8 and report.duplicated_samples == 16


def test_clusters_join_chains():
    base = "a fairly long sentence about link's sprite slot and the dungeon key count"
    texts = [base, base + " x", base + " x y", "something else entirely, nothing shared"]
    report = near_duplicate_clusters(texts, 0.8)
    assert [c.members for c in report.clusters] == [(0, 1, 2)]


def test_pca_matches_numpy_svd_up_to_sign():
    rng = np.random.default_rng(4)
    x = (rng.normal(size=(300, 8)) * np.arange(1, 9)).astype(np.float32)
    projection = pca_2d(x)
    centred = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(centred.astype(np.float64), full_matrices=False)
    expected = centred @ vt[:2].T
    for axis in range(2):
        a, b = projection.points[:, axis], expected[:, axis]
        sign = np.sign(a @ b)
        np.testing.assert_allclose(a, sign * b, rtol=1e-3, atol=1e-3)
    assert projection.explained == pytest.approx(tuple(s[:2] ** 2 / np.sum(s ** 2)), rel=1e-4)
    assert project(x, "umap").method in ("pca", "umap")


def test_embedding_cache_is_keyed_by_content(tmp_path, sample_dataset):
    calls = []
    base = hashed_ngram_embedder()

    def counting(texts, ctx):
        calls.append(len(texts))
        return base.embed(texts, ctx)

    spec = EmbedderSpec("counting", "Counting", counting, version="1")
    cache = EmbeddingCache(tmp_path / "cache")
    dataset = read_dataset(sample_dataset.folder)
    first = analyse_diversity(dataset, spec, cache)
    assert first.cached_files == 0 and len(calls) == 4
    again = analyse_diversity(read_dataset(sample_dataset.folder), spec, cache)
    assert again.cached_files == 4 and len(calls) == 4
    np.testing.assert_array_equal(first.vectors, again.vectors)
    train = sample_dataset.folder / "train.jsonl"
    train.write_text(train.read_text().replace("Link", "Zelda", 1))
    analyse_diversity(read_dataset(sample_dataset.folder), spec, cache)
    assert len(calls) == 5  # only the changed file was embedded again
    newer = EmbedderSpec("counting", "Counting", counting, version="2")
    analyse_diversity(read_dataset(sample_dataset.folder), newer, cache)
    assert len(calls) == 9


def test_token_lengths_with_a_real_tokenizer(tmp_path, sample_dataset):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.train_from_iterator(["LDA STA the routine"], trainers.WordLevelTrainer(
        special_tokens=["[UNK]"]))
    tokenizer.save(str(tmp_path / "tokenizer.json"))
    counter, note = load_token_counter(tmp_path)
    assert note == "" and "tokenizer.json" in counter.name
    samples = read_dataset(sample_dataset.folder).samples
    report = length_report(samples, counter)
    expected = [len(tokenizer.encode(s.output, add_special_tokens=False).ids) for s in samples]
    assert report.unit == "tokens" and report.output.tolist() == expected
    assert report.output_chars.tolist() == [len(s.output) for s in samples]
    assert load_token_counter("")[0] is None
    missing, why = load_token_counter(tmp_path / "nope.json")
    assert missing is None and "cannot load" in why


def test_analysis_figures_per_scope(sample_dataset, tmp_path):
    dataset = read_dataset(sample_dataset.folder)
    result = analyse_diversity(dataset, hashed_ngram_embedder(), EmbeddingCache(tmp_path),
                               ctx=NULL_CONTEXT)
    figures = {f.scope: f for f in result.figures}
    accepted = [s for s in dataset.samples if s.accepted]
    assert figures["accepted"].samples == len(accepted)
    assert figures["all"].samples == len(dataset.samples)
    mask = np.array([s.accepted for s in dataset.samples])
    assert figures["accepted"].vendi == pytest.approx(vendi_score(result.vectors[mask]),
                                                      rel=1e-5)
    assert result.projection.points.shape == (len(dataset.samples), 2)
    assert {r[0] for r in result.clusters_table().rows} == set(range(1, 9))
