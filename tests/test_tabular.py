"""Raw tables in: categorical columns, missing values and validation data."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sksnn import SNNClassifier, SNNRegressor, layer_statistics, load

# Without early stopping unless a test asks for it: the scaler and the
# encoding then see every row, which the hand-written oracles assume.
# One network (not the default ensemble), without the periodic embedding of
# the numbers (tests/test_input_levers.py): the tests read its input width
# and compare its forward pass with Keras'.
SMALL = dict(
    hidden_layer_sizes=(16, 16),
    n_ensembles=1,
    numeric_embedding=None,
    max_iter=30,
    batch_size=32,
    random_state=0,
    early_stopping=False,
)
ES = {**SMALL, "early_stopping": True}


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        warnings.filterwarnings("ignore", message=".*Maximum iterations")
        yield


def _frame(n=240, seed=0):
    """Numbers with NaN, a category, text with None, a bool, a many-level text."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
            "c": pd.Categorical(rng.choice(["lo", "mid", "hi"], n)),
            "t": rng.choice(np.array(["u", "v", None], dtype=object), n),
            "b": rng.random(n) > 0.5,
            "many": [f"l{i}" for i in rng.integers(0, 25, n)],
        }
    )
    frame.loc[::7, "x"] = np.nan
    return frame


def _target(frame):
    return (
        frame["x"].fillna(0)
        + 1.5 * (frame["c"] == "hi")
        - 1.0 * frame["b"]
        + 0.5 * (frame["t"] == "u")
    ).to_numpy()


def _labels(frame):
    return np.where(_target(frame) > 0.2, "yes", "no")


def _manual(frame, reference):
    """sksnn's encoding with one-hot blocks only, written with pandas.

    Numbers (NaN as the column's mean in ``reference``), one indicator per
    column with NaN in ``reference``, then per categorical column a block
    with the missing slot first (when ``reference`` has missing values in
    it), then the sorted (or declared) levels.
    """
    numeric = ["x", "z", "b"]
    numbers = frame[numeric].astype(float)
    means = reference[numeric].astype(float).mean()
    blocks = [numbers.fillna(means)]
    blocks += [
        frame[[c]].isna().astype(float) for c in numeric if reference[c].isna().any()
    ]
    for c in ["c", "t", "many"]:
        ref = reference[c]
        levels = sorted(ref.dropna().unique())  # c's categories are sorted too
        values = frame[c].astype(object)
        block = pd.DataFrame({lv: (values == lv).astype(float) for lv in levels})
        if ref.isna().any():
            block.insert(0, "missing", (~values.isin(levels)).astype(float))
        blocks.append(block)
    return np.hstack([b.to_numpy(dtype=float) for b in blocks])


# -- what goes in ------------------------------------------------------------------


@pytest.mark.parametrize("Estimator", [SNNClassifier, SNNRegressor])
def test_a_mixed_frame_goes_straight_in(Estimator):
    frame = _frame()
    y = _labels(frame) if Estimator is SNNClassifier else _target(frame)
    est = Estimator(**SMALL).fit(frame, y)
    assert est.is_categorical_.tolist() == [False, False, True, True, False, True]
    assert list(est.feature_names_in_) == list(frame.columns)
    assert est.score(frame, y) > (0.75 if Estimator is SNNClassifier else 0.5)
    new = _frame(n=6, seed=1)
    new.loc[0, "many"] = "a level never seen"
    new.loc[1, "t"] = "w"
    new.loc[2, "c"] = np.nan
    new.loc[3, "z"] = np.nan  # z had no missing value in fit
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        predictions = est.predict(new)
    assert predictions.shape == (6,)


def test_the_encoding_is_the_one_hot_matrix_written_by_hand():
    # With one-hot blocks only, the frame and the hand-made matrix are the same
    # network input: the same fit gives the same predictions.
    frame = _frame()
    y = _target(frame)
    params = dict(SMALL, max_onehot_levels=1000)
    raw = SNNRegressor(**params).fit(frame, y)
    manual = SNNRegressor(**params).fit(_manual(frame, frame), y)
    new = _frame(n=50, seed=2)
    new.loc[0, "many"] = "unseen"
    np.testing.assert_allclose(
        raw.predict(new), manual.predict(_manual(new, frame)), rtol=1e-6, atol=1e-6
    )


def test_many_levels_are_embedded_and_few_one_hot():
    frame = _frame()
    est = SNNRegressor(**SMALL, max_onehot_levels=9, embedding_dim=3).fit(
        frame, _target(frame)
    )
    n_levels = frame["many"].nunique()
    # x, z, b; x's indicator; c: 3 levels; t: 2 levels and the missing slot.
    n_dense = 3 + 1 + 3 + 3
    assert est._encoding.embedding_sizes == [n_levels + 1]
    assert est.coefs_[0].shape[0] == n_dense + 3
    assert est._embedding.shape == (n_levels + 1, 3)
    everything_one_hot = SNNRegressor(**SMALL, max_onehot_levels=n_levels).fit(
        frame, _target(frame)
    )
    assert everything_one_hot.coefs_[0].shape[0] == n_dense + n_levels
    assert everything_one_hot._embedding is None
    # The default embeds every categorical column: c (3 levels), t (2), many.
    default = SNNRegressor(**SMALL).fit(frame, _target(frame))
    assert default._encoding.embedding_sizes == [4, 3, n_levels + 1]
    assert default.coefs_[0].shape[0] == 3 + 1 + 3 * 8


def test_the_numpy_forward_pass_matches_keras_with_an_embedding():
    frame = _frame()
    est = SNNClassifier(**SMALL).fit(frame, _labels(frame))
    from sksnn import _tabular

    table = _tabular.read(est, frame, reset=False, mask=est.is_categorical_)
    encoded = est._scale(est._encoding.transform(table, "float64"))
    import keras

    keras_logits = keras.ops.convert_to_numpy(est.model_(encoded, training=False))
    np.testing.assert_allclose(est._logits(frame), keras_logits, rtol=1e-5, atol=1e-6)


def test_the_embedding_trains_and_an_unseen_level_adds_nothing():
    # The target depends on the many-level column alone.
    rng = np.random.default_rng(0)
    levels = [f"l{i}" for i in range(30)]
    effect = dict(zip(levels, rng.normal(size=30)))
    frame = pd.DataFrame(
        {"many": rng.choice(levels, 1500), "noise": rng.normal(size=1500)}
    )
    y = frame["many"].map(effect).to_numpy()
    est = SNNRegressor((32,), n_ensembles=1, max_iter=60, random_state=0)
    est.fit(frame, y)
    assert est._encoding.embedding_sizes == [31]
    assert est.score(frame, y) > 0.9
    # Slot 0 (unseen) was never trained: it stays at its initial zeros.
    np.testing.assert_array_equal(est._embedding[0], 0.0)


def test_a_declared_category_unseen_in_fit_counts_as_missing():
    frame = _frame()
    frame["c"] = frame["c"].cat.add_categories(["never"])
    frame.loc[0, "c"] = np.nan  # so that the block has a missing column
    est = SNNRegressor(**SMALL).fit(frame, _target(frame))
    assert est._encoding.levels[0] == ["hi", "lo", "mid"]
    categories = frame["c"].cat.categories
    rows = frame.head(3).copy()
    missing = rows.assign(c=pd.Categorical([np.nan] * 3, categories=categories))
    never = rows.assign(c=pd.Categorical(["never"] * 3, categories=categories))
    np.testing.assert_array_equal(est.predict(never), est.predict(missing))
    assert not np.allclose(est.predict(never), est.predict(rows))


def test_a_frame_of_categories_only_trains():
    # With every column embedded, nothing is left for the scaler.
    frame = pd.DataFrame({"c": pd.Categorical(list("abcab") * 40)})
    y = np.where(frame["c"] == "a", "yes", "no")
    est = SNNClassifier(**SMALL).fit(frame, y)
    assert est.scaler_ is None
    assert est.score(frame, y) == 1.0
    one_hot = SNNClassifier(**SMALL, max_onehot_levels=9).fit(frame, y)
    assert one_hot.scaler_.mean_.shape == (3,)


def test_a_numeric_frame_predicts_as_its_array():
    X = np.random.default_rng(0).normal(size=(100, 3))
    y = X @ [1.0, -2.0, 0.5]
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    from_frame = SNNRegressor(**SMALL).fit(frame, y)
    from_array = SNNRegressor(**SMALL).fit(X, y)
    assert from_frame.is_categorical_ is None
    np.testing.assert_allclose(from_frame.predict(frame), from_array.predict(X))


def test_bool_columns_are_features():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"flag": rng.random(300) > 0.5, "noise": rng.normal(size=300)})
    y = np.where(frame["flag"], "on", "off")
    est = SNNClassifier(**SMALL).fit(frame, y)
    assert est.is_categorical_ is None
    assert est.score(frame, y) == 1.0


def test_categorical_features_by_index_on_an_array():
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 4, 300)
    X = np.column_stack([rng.normal(size=300), codes])
    y = np.array([-1.0, 2.0, 0.0, 3.0])[codes]
    for categorical in ([1], [False, True]):
        est = SNNRegressor(
            **SMALL, categorical_features=categorical, max_onehot_levels=9
        ).fit(X, y)
        assert est.is_categorical_.tolist() == [False, True]
        assert est.coefs_[0].shape[0] == 1 + 4  # a number and a 4-level block
        assert est.score(X, y) > 0.9
    by_name = pd.DataFrame({"x": X[:, 0], "code": codes})
    est = SNNRegressor(**SMALL, categorical_features=["code"]).fit(by_name, y)
    assert est.is_categorical_.tolist() == [False, True]


def test_numbers_stored_as_objects_are_numbers():
    from decimal import Decimal

    values = [1, 2.5, None, Decimal("4")] * 20
    frame = pd.DataFrame({"a": pd.Series(values, dtype=object), "b": np.arange(80.0)})
    frame["flag"] = pd.Series([True, None, False, True] * 20, dtype=object)
    est = SNNRegressor(**SMALL).fit(frame, np.arange(80.0))
    assert est.is_categorical_ is None
    assert est.coefs_[0].shape[0] == 5  # a, b, flag and two missing indicators


def test_categorical_features_none_reads_numbers_stored_as_text():
    frame = pd.DataFrame({"a": ["1.5", "2", None, "4"] * 20, "b": np.arange(80.0)})
    est = SNNRegressor(**SMALL, categorical_features=None).fit(frame, np.arange(80.0))
    assert est.is_categorical_ is None
    assert est.coefs_[0].shape[0] == 3  # a, its missing indicator, b


# -- missing values ------------------------------------------------------------------


def test_missing_values_in_an_array_are_the_training_mean():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ [1.0, -1.0, 2.0]
    est = SNNRegressor(**SMALL).fit(X, y)
    holes = X[:5].copy()
    holes[:, 1] = np.nan
    filled = X[:5].copy()
    filled[:, 1] = X[:, 1].mean()
    np.testing.assert_allclose(est.predict(holes), est.predict(filled))


def test_a_column_with_missing_values_in_fit_gets_an_indicator():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    missing = rng.random(300) < 0.3
    # The target depends on whether x0 is missing, not on its value.
    y = np.where(missing, 3.0, 0.0) + X[:, 1]
    X[missing, 0] = np.nan
    est = SNNRegressor(
        (32,), n_ensembles=1, max_iter=50, batch_size=32, random_state=0
    ).fit(X, y)
    # x0, its missing indicator, x1, then 3 periodic features of each number
    assert est.coefs_[0].shape[0] == 3 + 2 * 3
    assert est.score(X, y) > 0.95


def test_degenerate_columns_do_not_break_standardization():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "all_missing": np.full(100, np.nan),
            "constant": np.ones(100),
            "one_level": pd.Categorical(["only"] * 100),
            "x": rng.normal(size=100),
        }
    )
    y = frame["x"].to_numpy() * 2
    est = SNNRegressor(**SMALL).fit(frame, y)
    assert np.isfinite(est.predict(frame)).all()
    assert est.score(frame, y) > 0.5


# -- validation data -----------------------------------------------------------------


def test_early_stopping_scores_the_given_validation_data():
    frame = _frame(n=400)
    y = _labels(frame)
    X_train, X_val, y_train, y_val = frame[:300], frame[300:], y[:300], y[300:]
    est = SNNClassifier(**dict(ES, max_iter=30), n_iter_no_change=3).fit(
        X_train, y_train, X_val=X_val, y_val=y_val
    )
    _assert_kept_a_best_epoch(est, est.score(X_val, y_val))
    weighted = clone(est).fit(
        X_train, y_train, X_val=X_val, y_val=y_val,
        sample_weight_val=np.r_[np.zeros(50), np.ones(50)],
    )  # fmt: skip
    _assert_kept_a_best_epoch(weighted, weighted.score(X_val[50:], y_val[50:]))


def _assert_kept_a_best_epoch(est, score):
    """The kept weights score as one of the epochs within tol of the best."""
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert score >= est.best_validation_score_ - est.tol - 1e-12
    assert np.isclose(est.validation_scores_, score, rtol=0, atol=1e-9).any()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"X_val": "X"}, "X_val was given without y_val"),
        ({"y_val": "y"}, "y_val was given without X_val"),
        ({"sample_weight_val": np.ones(10)}, "sample_weight_val was given without"),
    ],
)
def test_validation_data_must_come_whole(kwargs, message):
    frame = _frame(n=60)
    y = _target(frame)
    kwargs = {
        k: {"X": frame, "y": y}.get(v, v) if isinstance(v, str) else v
        for k, v in kwargs.items()
    }
    with pytest.raises(ValueError, match=message):
        SNNRegressor(**ES).fit(frame, y, **kwargs)


def test_validation_data_needs_early_stopping():
    frame = _frame(n=60)
    y = _target(frame)
    with pytest.raises(ValueError, match="early_stopping=False"):
        SNNRegressor(**SMALL).fit(frame, y, X_val=frame, y_val=y)


def test_validation_labels_must_be_training_labels():
    frame = _frame(n=60)
    y = _labels(frame)
    y_val = y.astype(object)
    y_val[0] = "maybe"
    with pytest.raises(ValueError, match="y_val holds labels \\['maybe'\\]"):
        SNNClassifier(**ES).fit(frame, y, X_val=frame, y_val=y_val)


# -- continued fits, persistence -----------------------------------------------------


def test_partial_fit_keeps_the_encoding_of_its_first_call():
    first, later = _frame(n=100, seed=0), _frame(n=100, seed=1)
    later.loc[:10, "many"] = "new"
    est = SNNRegressor(**SMALL)
    est.partial_fit(first, _target(first))
    levels = [list(lv) for lv in est._encoding.levels]
    width = est.coefs_[0].shape[0]
    est.partial_fit(later, _target(later))
    assert [list(lv) for lv in est._encoding.levels] == levels
    assert est.coefs_[0].shape[0] == width
    assert est.n_iter_ == 2


def test_warm_start_refuses_other_categorical_features():
    frame = _frame()
    est = SNNRegressor(**SMALL, warm_start=True).fit(frame, _target(frame))
    est.fit(frame, _target(frame))  # the same encoding continues
    est.set_params(categorical_features=["c"])
    with pytest.raises(ValueError, match="categorical_features=\\('c',\\) differs"):
        est.fit(frame, _target(frame))


@pytest.mark.parametrize("Estimator", [SNNClassifier, SNNRegressor])
def test_pickle_and_save_load_predict_the_same(Estimator, tmp_path):
    frame = _frame()
    y = _labels(frame) if Estimator is SNNClassifier else _target(frame)
    est = Estimator(**SMALL).fit(frame, y)
    new = _frame(n=20, seed=3)
    new.loc[0, "many"] = "unseen"
    path = tmp_path / "model.sksnn"
    est.save(path)
    for copy in (pickle.loads(pickle.dumps(est)), load(path)):
        np.testing.assert_array_equal(copy.predict(new), est.predict(new))
        assert copy.is_categorical_.tolist() == est.is_categorical_.tolist()


def test_files_older_sksnn_would_misread_say_so(tmp_path):
    # sksnn before categorical support reads format 1 and refuses later ones;
    # format 4 holds PSELU's blend weights, format 5 the periodic embedding
    # (both in the defaults).
    import json
    import zipfile

    frame = _frame()
    versions = {}
    for activation, embedding in (("selu", None), ("pselu", None), ("selu", "auto")):
        for name, X in (("frame", frame), ("array", frame[["x", "z"]].fillna(0))):
            est = SNNRegressor(**SMALL).set_params(
                activation=activation, numeric_embedding=embedding
            )
            est.fit(X, _target(frame)).save(tmp_path / name)
            with zipfile.ZipFile(tmp_path / name) as archive:
                document = json.loads(archive.read("model.json"))
            versions[activation, embedding, name] = document["format_version"]
    assert versions == {
        ("selu", None, "frame"): 2,
        ("selu", None, "array"): 1,
        ("pselu", None, "frame"): 4,
        ("pselu", None, "array"): 4,
        ("selu", "auto", "frame"): 5,
        ("selu", "auto", "array"): 5,
    }


def test_save_refuses_levels_json_cannot_hold(tmp_path):
    frame = pd.DataFrame(
        {"when": pd.Categorical(pd.to_datetime(["2020-01-01", "2021-01-01"] * 20))}
    )
    frame["x"] = np.arange(40.0)
    est = SNNRegressor(**SMALL).fit(frame, np.arange(40.0))
    with pytest.raises(TypeError, match="'when'.*astype\\(str\\)"):
        est.save(tmp_path / "model.sksnn")


def test_layer_statistics_reads_a_frame_as_predict_does():
    frame = _frame()
    est = SNNClassifier(**SMALL).fit(frame, _labels(frame))
    stats = layer_statistics(est, frame, _labels(frame))
    assert len(stats) == 2
    assert np.isfinite(stats.to_numpy(dtype=float)).all()
    with pytest.raises(ValueError, match="rows"):
        layer_statistics(est, frame, _labels(frame)[:10])


# -- scikit-learn's tools --------------------------------------------------------------


def test_search_cross_validation_and_pipelines_take_raw_frames():
    frame = _frame(n=200)
    y = _labels(frame)
    scores = cross_val_score(SNNClassifier(**SMALL), frame, y, cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.5)
    search = GridSearchCV(
        SNNClassifier(**SMALL), {"max_onehot_levels": [0, 9]}, cv=2
    ).fit(frame, y)
    assert search.best_params_["max_onehot_levels"] in (0, 9)
    pipe = make_pipeline(
        FunctionTransformer(lambda X: X.drop(columns="z")), SNNRegressor(**SMALL)
    )
    assert pipe.fit(frame, _target(frame)).predict(frame).shape == (200,)


def test_polars_frames_go_in_as_pandas_frames_do():
    pl = pytest.importorskip("polars")
    frame = _frame()
    y = _target(frame)

    def polars(frame):
        columns = {
            name: [None if pd.isna(v) else v for v in frame[name]]
            if name in ("t", "many")
            else frame[name].tolist()
            for name in frame
            if name != "c"
        }
        text = {"t": pl.String, "many": pl.String}
        return pl.DataFrame(columns, schema_overrides=text).with_columns(
            c=pl.Series(frame["c"].astype(str).tolist(), dtype=pl.Categorical)
        )[list(frame.columns)]

    from_pandas = SNNRegressor(**SMALL).fit(frame, y)
    from_polars = SNNRegressor(**SMALL).fit(polars(frame), y)
    # scikit-learn 1.6.0 reads no feature names from polars frames; later ones do.
    names = getattr(from_polars, "feature_names_in_", frame.columns)
    assert list(names) == list(frame.columns)
    assert from_polars.is_categorical_.tolist() == from_pandas.is_categorical_.tolist()
    np.testing.assert_allclose(
        from_polars.predict(polars(frame)), from_pandas.predict(frame)
    )


# -- bad input gets a message that names the column --------------------------------


def test_columns_must_match_the_fitted_ones():
    frame = _frame()
    est = SNNRegressor(**SMALL).fit(frame, _target(frame))
    with pytest.raises(ValueError, match="feature names"):
        est.predict(frame[frame.columns[::-1]])
    with pytest.raises(ValueError, match="feature names|features"):
        est.predict(frame.drop(columns="z"))


@pytest.mark.parametrize(
    "change, params, error, message",
    [
        (
            lambda f: f.assign(z=["a", 1.0] * (len(f) // 2)),
            {"categorical_features": ["c", "t", "many"]},
            ValueError,
            "Column 'z' is not categorical but holds values that are not numbers",
        ),
        (lambda f: f, {"categorical_features": ["nope"]}, ValueError, "'nope'"),
        (lambda f: f, {"categorical_features": [9]}, ValueError, "index 9"),
        (
            lambda f: f.assign(c=pd.Categorical(f["c"], categories=range(500))),
            {},
            ValueError,
            "'c' declares 500 categories, more than the 240 rows",
        ),
        (
            lambda f: f.assign(t=[[1], [2]] * (len(f) // 2)),
            {},
            TypeError,
            "'t' holds unhashable values",
        ),
        (
            lambda f: f.assign(x=np.r_[np.inf, np.zeros(len(f) - 1)]),
            {},
            ValueError,
            "Column 'x' holds an infinite value",
        ),
        (
            lambda f: f.assign(when=pd.Timestamp("2020-01-01")),
            {},
            TypeError,
            "Column 'when' has dtype datetime64",
        ),
    ],
)
def test_bad_columns_are_named(change, params, error, message):
    frame = change(_frame())
    with pytest.raises(error, match=message):
        SNNRegressor(**SMALL, **params).fit(frame, np.zeros(len(frame)))


def test_infinity_at_predict_is_named():
    frame = _frame()
    est = SNNRegressor(**SMALL).fit(frame, _target(frame))
    with pytest.raises(ValueError, match="Column 'z' holds an infinite value"):
        est.predict(frame.assign(z=np.inf))


def test_a_pipeline_hands_its_validation_data_on():
    """Pipeline(transform_input=['X_val']) routes X_val, as for HistGradientBoosting."""
    import sklearn
    from sklearn.preprocessing import StandardScaler

    if "transform_input" not in make_pipeline.__code__.co_varnames:
        pytest.skip("Pipeline's transform_input needs scikit-learn >= 1.7")
    frame = _frame(n=200).drop(columns=["c", "t", "many"]).astype(float)
    y = _target(_frame(n=200))
    with sklearn.config_context(enable_metadata_routing=True):
        net = SNNRegressor(**ES).set_fit_request(X_val=True, y_val=True)
        pipe = make_pipeline(StandardScaler(), net, transform_input=["X_val"])
        pipe.fit(frame[:150], y[:150], X_val=frame[150:], y_val=y[150:])
    fitted = pipe[-1]
    _assert_kept_a_best_epoch(
        fitted, fitted.score(pipe[0].transform(frame[150:]), y[150:])
    )
