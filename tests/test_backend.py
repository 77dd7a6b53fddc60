"""Unit tests of theory.backend's random-number shim, without a GPU.

cupy is stood in for by a fake namespace whose generator has exactly cupy's limits: only
``standard_normal``, ``random`` and ``integers`` (no ``normal``, ``multivariate_normal`` or
``spawn``, no public SeedSequence), it cannot be pickled, and it draws with a different bit
generator than numpy's default (Philox), so a shim that quietly fell back to numpy would be seen.
numpy draws must stay bit for bit numpy's own.
"""

from __future__ import annotations

import pickle
import types

import array_api_compat
import array_api_compat.numpy
import array_api_strict
import numpy as np
import pytest

from ebmcheck.theory import backend


class FakeArray(np.ndarray):
    """An array of the fake namespace (a numpy view, so that results can be compared)."""


def _fake_asarray(value, dtype=None):
    return np.asarray(value, dtype=dtype).view(FakeArray)


class FakeCupyGenerator:
    """cupy.random.Generator's surface: standard_normal, random, integers; nothing else."""

    def __init__(self, seed):
        self._numpy = np.random.Generator(np.random.Philox(seed))
        self.bit_generator = types.SimpleNamespace(_seed_seq=None)  # cupy keeps its SeedSequence private

    def standard_normal(self, size=None, dtype=np.float64):
        return _fake_asarray(self._numpy.standard_normal(size))

    def random(self, size=None, dtype=np.float64):
        return _fake_asarray(self._numpy.random(size))

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        return _fake_asarray(self._numpy.integers(low, high, size, dtype=dtype, endpoint=endpoint))

    def __reduce__(self):
        raise TypeError("cannot pickle a generator whose state lives on the GPU")


def _fake_namespace():
    xp = types.ModuleType("fakecupy")
    xp.asarray = _fake_asarray
    xp.random = types.ModuleType("fakecupy.random")
    xp.random.default_rng = FakeCupyGenerator
    return xp


FAKE = _fake_namespace()


def test_the_fake_has_cupys_limits():
    rng = FakeCupyGenerator(0)
    for missing in ("normal", "multivariate_normal", "spawn"):
        assert not hasattr(rng, missing)
    with pytest.raises(TypeError, match="pickle"):
        pickle.dumps(rng)


def test_random_module_of_each_namespace():
    assert backend.random_module(np) is np.random
    assert backend.random_module(array_api_compat.numpy) is np.random  # what namespace(numpy array) returns
    assert backend.random_module(FAKE) is FAKE.random
    assert backend.random_module(array_api_strict) is None  # the standard has no random module


def test_default_rng_is_the_namespaces_own_or_numpys_for_a_namespace_without_random():
    assert isinstance(backend.default_rng(3, FAKE), FakeCupyGenerator)
    for xp in (np, array_api_strict):
        rng = backend.default_rng(3, xp)
        assert isinstance(rng, np.random.Generator)
        np.testing.assert_array_equal(rng.standard_normal(5), np.random.default_rng(3).standard_normal(5))


def test_draws_on_the_fake_come_from_its_generator_and_stay_its_arrays():
    shape = (4, 3)
    reference = FakeCupyGenerator(7)
    rng = backend.default_rng(7, FAKE)
    z = backend.standard_normal(rng, shape, FAKE)
    assert isinstance(z, FakeArray) and z.shape == shape
    np.testing.assert_array_equal(z, reference.standard_normal(shape))
    # normal from standard_normal (the fake has no normal), uniform from random
    x = backend.normal(rng, shape, FAKE, loc=1.5, scale=0.25)
    assert isinstance(x, FakeArray)
    np.testing.assert_array_equal(x, 1.5 + 0.25 * reference.standard_normal(shape))
    u = backend.uniform(rng, shape, FAKE, low=-2.0, high=3.0)
    assert isinstance(u, FakeArray)
    np.testing.assert_array_equal(u, -2.0 + 5.0 * reference.random(shape))
    np.testing.assert_array_equal(backend.uniform(rng, 6, FAKE), reference.random(6))


def test_spawn_without_spawn_gives_independent_reproducible_children_from_picklable_seeds():
    children = backend.spawn(FakeCupyGenerator(11), 3, FAKE)
    assert all(isinstance(child, FakeCupyGenerator) for child in children)
    draws = [child.standard_normal(1000) for child in children]
    # independent streams: no two children draw the same numbers, and they look uncorrelated
    for i in range(3):
        for j in range(i + 1, 3):
            assert not np.array_equal(draws[i], draws[j])
            assert abs(np.corrcoef(draws[i], draws[j])[0, 1]) < 5 / np.sqrt(1000)
    # reproducible: the same parent seed gives the same children
    again = backend.spawn(FakeCupyGenerator(11), 3, FAKE)
    for child, draw in zip(again, draws):
        np.testing.assert_array_equal(child.standard_normal(1000), draw)
    # the children's seeds pickle (the generators do not): a child rebuilt elsewhere draws the same
    seeds = backend.child_seeds(FakeCupyGenerator(11), 3)
    rebuilt = backend.default_rng(pickle.loads(pickle.dumps(seeds[1])), FAKE)
    np.testing.assert_array_equal(rebuilt.standard_normal(1000), draws[1])


def test_spawning_advances_a_generator_without_a_seed_sequence():
    """The children's entropy is drawn from the parent (ENTROPY_WORDS integers), so the parent moves on."""
    parent, reference = FakeCupyGenerator(5), FakeCupyGenerator(5)
    backend.child_seeds(parent, 2)
    reference.integers(0, 2**32, size=backend.ENTROPY_WORDS)
    np.testing.assert_array_equal(parent.standard_normal(10), reference.standard_normal(10))


# ---- numpy: bit for bit numpy's own draws ----------------------------------------------------------
@pytest.mark.parametrize("xp", [np, array_api_compat.numpy])
def test_numpy_draws_are_numpys_own_bit_for_bit(xp):
    shape = (1000, 3)
    rng, reference = np.random.default_rng(2024), np.random.default_rng(2024)
    np.testing.assert_array_equal(backend.standard_normal(rng, shape, xp), reference.standard_normal(shape))
    np.testing.assert_array_equal(backend.normal(rng, shape, xp), reference.normal(0, 1, shape))
    np.testing.assert_array_equal(backend.normal(rng, shape, xp, loc=-0.3, scale=2.7), reference.normal(-0.3, 2.7, shape))
    loc, scale = np.linspace(-1, 1, 3), np.array([0.5, 1.0, 3.0])
    np.testing.assert_array_equal(backend.normal(rng, shape, xp, loc=loc, scale=scale), reference.normal(loc, scale, shape))
    np.testing.assert_array_equal(backend.uniform(rng, shape, xp), reference.random(shape))
    np.testing.assert_array_equal(backend.uniform(rng, shape, xp, low=-2.0, high=0.5), reference.uniform(-2.0, 0.5, shape))


def test_numpy_children_are_rng_spawn():
    children = backend.spawn(np.random.default_rng(9), 3, np)
    for child, expected in zip(children, np.random.default_rng(9).spawn(3)):
        np.testing.assert_array_equal(child.standard_normal(50), expected.standard_normal(50))
    seeds = backend.child_seeds(np.random.default_rng(9), 2)
    assert [s.spawn_key for s in seeds] == [(0,), (1,)]


def test_a_namespace_without_random_gets_numpys_draws_converted():
    """array-api-strict: the draws are the numpy generator's, made on the host and converted by xp.asarray."""
    rng = backend.default_rng(4, array_api_strict)
    z = backend.standard_normal(rng, (5, 2), array_api_strict)
    u = backend.uniform(rng, (5,), array_api_strict)
    x = backend.normal(rng, (5, 2), array_api_strict, loc=1.0, scale=2.0)
    assert all(array_api_compat.array_namespace(a) is array_api_strict for a in (z, u, x))
    reference = np.random.default_rng(4)
    np.testing.assert_array_equal(np.asarray(z), reference.standard_normal((5, 2)))
    np.testing.assert_array_equal(np.asarray(u), reference.random(5))
    np.testing.assert_array_equal(np.asarray(x), reference.normal(1.0, 2.0, (5, 2)))


def test_backend_rng_is_the_shims_default_rng_of_the_derived_seed():
    rng = backend.get_backend("numpy").rng(5, "claim", "check")
    expected = np.random.default_rng(backend.derive_seed(5, "claim", "check"))
    np.testing.assert_array_equal(rng.standard_normal(8), expected.standard_normal(8))
    fake = backend.Backend("fake", FAKE).rng(5, "claim", "check")
    assert isinstance(fake, FakeCupyGenerator)
    np.testing.assert_array_equal(fake.standard_normal(8), FakeCupyGenerator(backend.derive_seed(5, "claim", "check")).standard_normal(8))


# ---- validation ----------------------------------------------------------------------------------
def test_bad_arguments_are_refused_by_name():
    rng = np.random.default_rng(0)
    with pytest.raises(TypeError, match="xp"):
        backend.standard_normal(rng, 3, "numpy")
    with pytest.raises(TypeError, match="rng"):
        backend.standard_normal(object(), 3, np)
    with pytest.raises(ValueError, match="shape"):
        backend.standard_normal(rng, (2, -1), np)
    with pytest.raises(TypeError, match="shape"):
        backend.uniform(rng, [2, 3], np)
    with pytest.raises(ValueError, match="scale"):
        backend.normal(rng, 3, np, scale=-1.0)
    with pytest.raises(ValueError, match="loc"):
        backend.normal(rng, (3, 2), np, loc=np.zeros(3))
    with pytest.raises(ValueError, match="high - low"):
        backend.uniform(rng, 3, np, low=-1e308, high=1e308)
    with pytest.raises(ValueError, match="seed"):
        backend.default_rng(-1, np)
    with pytest.raises(TypeError, match="integers"):
        backend.child_seeds(types.SimpleNamespace(standard_normal=lambda shape: np.zeros(shape)), 2)
