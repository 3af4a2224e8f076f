"""Every string option is named once, in sksnn/_options.py."""

import pytest

from sksnn import SNNClassifier, SNNRegressor, _options


def test_registry_refuses_a_mapping_that_misses_a_name():
    """A registry without an accepted value fails at import, naming both sides."""
    with pytest.raises(RuntimeError, match=r"covers \['relu'\], but the accepted"):
        _options.registry("activation", {"relu": None}, ("relu", "selu"))


@pytest.mark.parametrize("Estimator", [SNNClassifier, SNNRegressor])
@pytest.mark.parametrize(
    "param, names",
    [
        ("activation", _options.ACTIVATIONS),
        ("kernel_initializer", _options.INITIALIZERS),
        ("solver", _options.SOLVERS),
    ],
)
def test_constraints_accept_exactly_the_registered_names(Estimator, param, names):
    """The parameter constraints accept each registered name and nothing else."""
    (constraint,) = Estimator._parameter_constraints[param]
    assert set(constraint.options) == set(names)


def test_every_implementation_covers_the_names():
    """The numpy, Keras and diagnostics registries hold one entry per name."""
    from sksnn import _diagnostics, _forward, _network

    for registry in (_forward.ACTIVATIONS, _network.ACTIVATIONS, _diagnostics.SLOPES):
        assert sorted(registry) == sorted(_options.ACTIVATIONS)
    assert sorted(_network.INITIALIZERS) == sorted(_options.INITIALIZERS)
    assert sorted(_network.SOLVERS) == sorted(_options.STOCHASTIC_SOLVERS)
    assert set(_options.SOLVERS) - set(_options.STOCHASTIC_SOLVERS) == {"lbfgs"}
