"""Divergence, interruption, persistence without pickle, concurrent predict."""

import io
import json
import pickle
import warnings
import zipfile

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import sksnn
from sksnn import DivergenceWarning, SNNClassifier, SNNRegressor
from tests.conftest import FAST

EXPLODING = dict(
    hidden_layer_sizes=(32,) * 6,
    activation="relu",
    kernel_initializer="normal",
    solver="sgd",
    learning_rate_init=1.0,
    batch_size=50,
    max_iter=20,
    random_state=0,
)


def test_divergence_stops_warns_and_keeps_finite_weights(iris):
    """A diverging fit stops at once, warns, and keeps weights with finite output."""
    X, y = iris
    clf = SNNClassifier(**EXPLODING)
    with pytest.warns(
        DivergenceWarning,
        match=r"Training diverged at epoch \d+: the loss became (nan|inf). Training "
        "stopped",
    ) as record:
        clf.fit(X, y)
    message = next(str(w.message) for w in record if w.category is DivergenceWarning)
    assert "Lower learning_rate_init, set clipnorm" in message
    assert clf.n_iter_ < 20
    assert not np.isfinite(clf.loss_curve_[-1])
    assert all(np.isfinite(c).all() for c in clf.coefs_)
    assert np.isfinite(clf.predict_proba(X)).all()


def test_clipping_prevents_the_divergence(iris):
    """The same exploding setup with clipnorm trains without diverging."""
    X, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        clf = SNNClassifier(
            **{**EXPLODING, "learning_rate_init": 1e-3}, clipnorm=1.0
        ).fit(X, y)
    assert np.isfinite(clf.loss_curve_).all()


@pytest.mark.parametrize("copies", [1, 12], ids=["one-chunk", "threaded-chunks"])
def test_non_finite_output_at_predict_is_an_error(copies, fitted_regressor, diabetes):
    """predict raises, rather than return NaN or warn of overflow, on any path."""
    X, _ = diabetes
    X = np.tile(X, (copies, 1))  # 12 copies: rows predicted on worker threads
    broken = pickle.loads(pickle.dumps(fitted_regressor))
    broken.coefs_[0] = broken.coefs_[0] * 1e300
    broken.coefs_[1] = broken.coefs_[1] * 1e300
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(
            ValueError, match=rf"^The prediction is not finite for \d+ of {len(X)} rows"
        ):
            broken.predict(X)


@pytest.mark.parametrize("Estimator", [SNNClassifier, SNNRegressor])
def test_keyboard_interrupt_keeps_the_last_completed_epoch(
    Estimator, iris, monkeypatch
):
    """Ctrl-C arriving in epoch 4 leaves a usable model with epoch 3's weights."""
    from sksnn import _backend, _engine, _network

    X, y = iris
    _engine.POOL.clear()  # so that this fit builds its epoch
    real = _backend.make_epoch
    snapshots = []

    def interrupting(model, *args):
        epoch = real(model, *args)

        def wrapped(*arrays):
            # The weights as the estimator keeps them (the input scale folded).
            snapshots.append(_network.get_weights(model).coefs)
            loss = epoch(*arrays)  # the updates of the epoch happen ...
            if len(snapshots) == 4:
                raise KeyboardInterrupt  # ... then the interrupt arrives
            return loss

        return wrapped

    monkeypatch.setattr(_backend, "make_epoch", interrupting)
    est = Estimator(**FAST, random_state=0)
    with pytest.warns(
        UserWarning,
        match="Training was interrupted during epoch 4; the estimator keeps the "
        "weights of epoch 3",
    ):
        est.fit(X, y)
    assert est.n_iter_ == 3
    assert len(est.loss_curve_) == 3
    assert_array_equal(est.coefs_[0], snapshots[3][0])  # the start of epoch 4
    first = next(x for x in est.model_.layers if isinstance(x, _network.DENSE_LAYERS))
    assert_array_equal(first.get_weights()[0], snapshots[3][0])
    assert np.isfinite(est.predict(X)).all()


# -- save / load -------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted_models(iris, fitted_classifier):
    """One fitted estimator of each kind, shared by the save / load tests."""
    X, y = iris
    return {
        "classifier": fitted_classifier,
        "regressor": SNNRegressor(**FAST, random_state=0).fit(
            X, np.c_[y, X[:, 0] * 1000]
        ),
        "strings": SNNClassifier(**FAST, random_state=0).fit(
            X, np.array(["setosa", "versicolor", "virginica"])[y]
        ),
        "batch_norm": SNNClassifier(
            **FAST, batch_norm=True, dropout=0.1, random_state=0
        ).fit(X, y),
    }


@pytest.fixture(params=["classifier", "regressor", "strings", "batch_norm"])
def saved(request, tmp_path, iris, fitted_models):
    X, _ = iris
    estimator = fitted_models[request.param]
    path = tmp_path / "model.sksnn"
    estimator.save(path)
    return estimator, path, X


def test_save_load_round_trip(saved):
    """A loaded model predicts identically and keeps parameters and curves."""
    estimator, path, X = saved
    loaded = sksnn.load(path)
    assert type(loaded) is type(estimator)
    assert loaded.get_params() == estimator.get_params()
    assert_array_equal(loaded.predict(X), estimator.predict(X))
    assert loaded.loss_curve_ == estimator.loss_curve_
    if hasattr(estimator, "classes_"):
        assert_array_equal(loaded.classes_, estimator.classes_)
        assert_array_equal(loaded.predict_proba(X), estimator.predict_proba(X))


def test_saved_file_holds_no_pickle(saved):
    """The file is JSON plus an npz that numpy reads with allow_pickle=False."""
    estimator, path, _ = saved
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["arrays.npz", "model.json"]
        document = json.loads(archive.read("model.json"))
        arrays = np.load(io.BytesIO(archive.read("arrays.npz")), allow_pickle=False)
        assert document["format"] == "sksnn-model"
        assert set(document["versions"]) == {"sksnn", "keras", "scikit-learn"}
        assert document["params"]["activation"] == estimator.activation
        for i, coef in enumerate(estimator.coefs_):
            assert_array_equal(arrays[f"coef_{i}"], coef)


def test_load_does_not_unpickle(saved, monkeypatch):
    """Loading succeeds with pickle disabled entirely."""
    _, path, X = saved

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    assert sksnn.load(path).predict(X).shape[0] == len(X)


def test_loaded_model_trains_on(saved):
    """A loaded model can continue training with warm_start."""
    estimator, path, X = saved
    loaded = sksnn.load(path).set_params(warm_start=True, max_iter=2)
    y = estimator.predict(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded.fit(X, y)
    assert loaded.n_iter_ == 2  # the epochs of this fit, as in MLP
    assert len(loaded.loss_curve_) == len(estimator.loss_curve_) + 2


def test_truncated_file_is_refused(saved, tmp_path):
    """A truncated file gives a clear ValueError."""
    _, path, _ = saved
    truncated = tmp_path / "truncated.sksnn"
    truncated.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="is not a readable sksnn model file"):
        sksnn.load(truncated)


def test_corrupted_file_is_refused(saved, tmp_path):
    """Flipped bytes inside the archive give a clear ValueError."""
    _, path, _ = saved
    data = bytearray(path.read_bytes())
    for i in range(100, len(data) - 100, 97):
        data[i] ^= 0xFF
    corrupted = tmp_path / "corrupted.sksnn"
    corrupted.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="sksnn model file"):
        sksnn.load(corrupted)


def test_foreign_files_are_refused(tmp_path):
    """A text file, or a zip with unreadable members, is refused clearly."""
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="is not a readable sksnn model file"):
        sksnn.load(text)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("model.json", json.dumps({"format": "something-else"}))
        archive.writestr("arrays.npz", b"")
    with pytest.raises(ValueError, match="is not a readable sksnn model file"):
        sksnn.load(other)


def test_object_arrays_are_refused(saved, tmp_path):
    """An npz member holding a pickled object array is refused, not unpickled."""
    _, path, _ = saved
    buffer = io.BytesIO()
    np.savez(buffer, coef_0=np.array([object()], dtype=object))
    evil = tmp_path / "evil.sksnn"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(evil, "w") as dst:
        dst.writestr("model.json", src.read("model.json"))
        dst.writestr("arrays.npz", buffer.getvalue())
    with pytest.raises(ValueError, match="sksnn model file"):
        sksnn.load(evil)


def test_newer_format_is_refused(saved, tmp_path):
    """A file from a newer format version is refused with a message."""
    _, path, _ = saved
    newer = tmp_path / "newer.sksnn"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(newer, "w") as dst:
        document = json.loads(src.read("model.json"))
        document["format_version"] = 99
        dst.writestr("model.json", json.dumps(document))
        dst.writestr("arrays.npz", src.read("arrays.npz"))
    with pytest.raises(ValueError, match="saved in sksnn model format 99"):
        sksnn.load(newer)


def test_save_refuses_random_state_instance(iris, tmp_path):
    """A RandomState instance cannot go to JSON: save says what to do."""
    X, y = iris
    clf = SNNClassifier(**FAST, random_state=np.random.RandomState(0)).fit(X, y)
    with pytest.raises(TypeError, match="set it to an int or None before save"):
        clf.save(tmp_path / "m.sksnn")
