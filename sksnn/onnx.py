"""ONNX export: skl2onnx converters for SNNClassifier and SNNRegressor.

``register_converters()`` registers them in skl2onnx's converter registry
(skl2onnx's own, process-wide and idempotent); ``skl2onnx.to_onnx`` then
converts a fitted estimator alone or as the last step of a ``Pipeline``.
``to_onnx`` here does both in one call::

    from sksnn.onnx import to_onnx
    onx = to_onnx(clf, X[:1].astype("float32"))

The graph is what ``predict`` computes on the fitted weights: the encoding
of missing values (the training mean, and an indicator column) and of
categorical columns (one-hot blocks and embedding look-ups), the built-in
scaling and smooth clipping, the dense stack with its activation, batch
norms and AlphaDropout's inference scale, the output activation, and for an
ensemble the mean of its members' probabilities or values. It computes in
the input's float type: float32 input gives a float32 graph (probabilities
within about 1e-6 of ``predict_proba``'s float64), float64 input a float64
one.

Inputs. An array X gives one input tensor of X's width. A DataFrame gives one
input per column, of shape (N, 1) and of its column's type: numbers as
float or int, categorical columns as strings (their levels compared as
``str(level)``) or as numbers (levels compared as numbers), bools as bool.
Missing numbers are NaN; a categorical value not among the fitted levels
(missing included) takes the slot of unseen levels, as in ``predict``.

Outputs (skl2onnx's conventions). A classifier gives ``label`` (int64 for
integer or bool classes, string for string classes) and ``probabilities``
(a ZipMap of class to probability, or with ``options={"zipmap": False}`` an
(N, n_classes) tensor); a multilabel classifier gives a 0/1 int64 indicator
matrix. A regressor gives ``variable`` of shape (N, n_outputs).
"""

import numpy as np

from sksnn import _options
from sksnn._forward import (
    BATCH_NORM_EPSILON,
    LEAKY_RELU_SLOPE,
    PRELU_INITIAL_SLOPE,
    RRELU_SLOPE,
    SELU_ALPHA,
    SELU_SCALE,
)

__all__ = ["register_converters", "to_onnx"]


def register_converters():
    """Register the converters of SNNClassifier and SNNRegressor with skl2onnx.

    Needed once per process before ``skl2onnx.to_onnx`` (or
    ``convert_sklearn``) meets an sksnn estimator; registering again is
    harmless. Requires the ``onnx`` extra (``pip install sksnn[onnx]``).
    """
    try:
        from skl2onnx import update_registered_converter
    except ImportError as error:
        raise ImportError(
            "ONNX export needs skl2onnx and onnx: pip install 'sksnn[onnx]' "
            "(onnxruntime runs the exported models)."
        ) from error
    from sksnn import SNNClassifier, SNNRegressor

    update_registered_converter(
        SNNClassifier,
        "SksnnSNNClassifier",
        _classifier_shapes,
        _convert_classifier,
        options={"zipmap": [True, False, "columns"], "nocl": [False, True]},
    )
    update_registered_converter(
        SNNRegressor, "SksnnSNNRegressor", _regressor_shapes, _convert_regressor
    )


def to_onnx(model, X, **kwargs):
    """Register the converters and return ``skl2onnx.to_onnx(model, X, **kwargs)``.

    Parameters
    ----------
    model : SNNClassifier, SNNRegressor or Pipeline
        A fitted estimator, or a fitted pipeline whose last step is one.
    X : array-like or DataFrame
        A few rows of the input, for the input names and types (float32 rows
        give a float32 graph).
    **kwargs
        Passed to ``skl2onnx.to_onnx`` (``options``, ``target_opset``...).

    Returns
    -------
    onx : onnx.ModelProto
        The model; ``onx.SerializeToString()`` is what onnxruntime loads.
    """
    register_converters()
    import skl2onnx

    return skl2onnx.to_onnx(model, X, **kwargs)


# -- shapes ------------------------------------------------------------------------


def _classifier_shapes(operator):
    from skl2onnx.common.data_types import Int64TensorType, StringTensorType
    from skl2onnx.common.utils_classifier import get_label_classes

    model = operator.raw_operator
    n = operator.inputs[0].get_first_dimension()
    classes = get_label_classes(operator.scope_inst, model)  # indices with nocl
    if _is_multilabel(model):
        operator.outputs[0].set_type(Int64TensorType([n, len(classes)]))
    elif _class_type(classes) == "string":
        operator.outputs[0].set_type(StringTensorType([n]))
    else:
        operator.outputs[0].set_type(Int64TensorType([n]))
    operator.outputs[1].set_type(_float_type(operator)([n, len(classes)]))


def _regressor_shapes(operator):
    n = operator.inputs[0].get_first_dimension()
    model = operator.raw_operator
    operator.outputs[0].set_type(_float_type(operator)([n, model.n_outputs_]))


def _float_type(operator):
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    double = any(isinstance(v.type, DoubleTensorType) for v in operator.inputs)
    return DoubleTensorType if double else FloatTensorType


def _is_multilabel(model):
    return model._label_binarizer.y_type_.startswith("multilabel")


def _class_type(classes):
    # Classifiers' labels are integral numbers or strings (type_of_target refuses
    # other floats); ONNX gives numbers as int64, as skl2onnx does for the MLP.
    return "string" if classes.dtype.kind in "OUS" else "int64"


# -- converters --------------------------------------------------------------------


def _convert_classifier(scope, operator, container):
    from skl2onnx.common.utils_classifier import get_label_classes

    model = operator.raw_operator
    graph = _Graph(scope, container, _float_type(operator))
    proba = _probabilities(graph, model, operator.inputs)
    label, out_proba = operator.outputs[0].full_name, operator.outputs[1].full_name
    graph.node("Identity", [proba], out_proba)
    if _is_multilabel(model):
        above = graph.node("Greater", [proba, graph.const(0.5)])
        graph.node("Cast", [above], label, to=_proto().INT64)
        return
    classes = get_label_classes(scope, model)  # indices with option nocl
    index = graph.node("ArgMax", [proba], axis=1, keepdims=0)
    if _class_type(classes) == "string":
        table = graph.const([str(c) for c in classes], kind="string")
    else:
        table = graph.const(classes.astype(np.int64), kind="int64")
    graph.node("Gather", [table, index], label, axis=0)


def _convert_regressor(scope, operator, container):
    model = operator.raw_operator
    graph = _Graph(scope, container, _float_type(operator))
    members = _members_outputs(graph, model, operator.inputs)
    if model.target_scaler_ is None:  # loss='poisson': the log of the mean
        values = graph.node("Exp", [members])
    else:
        scaler = model.target_scaler_
        scaled = graph.node("Mul", [members, graph.const(scaler.scale_)])
        values = graph.node("Add", [scaled, graph.const(scaler.mean_)])
    graph.node(
        "Identity", [_member_mean(graph, model, values)], operator.outputs[0].full_name
    )


def _probabilities(graph, model, inputs):
    logits = _members_outputs(graph, model, inputs)
    if model.out_activation_ == "softmax":
        proba = graph.node("Softmax", [logits], axis=-1)
        return _member_mean(graph, model, proba)
    positive = _member_mean(graph, model, graph.node("Sigmoid", [logits]))
    if len(model.classes_) == 1:  # one class seen in fit: certain
        return graph.node(
            "Add", [graph.node("Mul", [positive, graph.const(0.0)]), graph.const(1.0)]
        )
    if _is_multilabel(model):
        return positive
    negative = graph.node("Sub", [graph.const(1.0), positive])
    return graph.node("Concat", [negative, positive], axis=1)


def _member_mean(graph, model, values):
    """The members' mean of (k, N, O) values; (N, O) values pass."""
    if model.coefs_[0].ndim == 2:
        return values
    k, n_outputs = model.coefs_[-1].shape[0], model.coefs_[-1].shape[-1]
    last = graph.node("Transpose", [values], perm=[1, 2, 0])  # (N, O, k)
    mean = graph.node("MatMul", [last, graph.const(np.full((k, 1), 1.0 / k))])
    return graph.node("Reshape", [mean, graph.const([-1, n_outputs], kind="int64")])


# -- the network -------------------------------------------------------------------


def _members_outputs(graph, model, inputs):
    """The logits of the network (N, O), or of each member (k, N, O)."""
    X = _network_input(graph, model, inputs)
    weights = model._weights()
    activation = model._network_params["activation"]
    ensemble = weights.coefs[0].ndim == 3
    norms = list(weights.batch_norms) or [None] * (len(weights.coefs) - 1)
    slopes = weights.slopes or [None] * (len(weights.coefs) - 1)
    out = X
    for coef, bias, norm, slope in zip(
        weights.coefs[:-1], weights.intercepts[:-1], norms, slopes
    ):
        out = _dense(graph, out, coef, bias, ensemble)
        if norm is not None:
            gamma, beta, mean, variance = norm
            centred = graph.node("Sub", [out, graph.const(mean)])
            factor = gamma / np.sqrt(variance + BATCH_NORM_EPSILON)
            out = graph.node(
                "Add",
                [graph.node("Mul", [centred, graph.const(factor)]), graph.const(beta)],
            )
        slope = slope[:, None, :] if ensemble and slope is not None else slope
        out = _activation(graph, activation, out, slope)
        if model._hidden_scale != 1.0:
            out = graph.node("Mul", [out, graph.const(model._hidden_scale)])
    return _dense(graph, out, weights.coefs[-1], weights.intercepts[-1], ensemble)


def _dense(graph, x, coef, bias, ensemble):
    # (N, F) @ (k, F, U) broadcasts to (k, N, U), as numpy's matmul does.
    out = graph.node("MatMul", [x, graph.const(coef)])
    return graph.node("Add", [out, graph.const(bias[:, None, :] if ensemble else bias)])


def _swish(graph, x):
    return graph.node("Mul", [x, graph.node("Sigmoid", [x])])


def _gelu(graph, x):
    # 0.5 x (1 + erf(x / sqrt(2))), exact as the numpy pass (ONNX's Gelu is opset 20).
    erf = graph.node("Erf", [graph.node("Mul", [x, graph.const(1 / np.sqrt(2.0))])])
    half = graph.node("Mul", [x, graph.const(0.5)])
    return graph.node("Mul", [half, graph.node("Add", [erf, graph.const(1.0)])])


def _unary(op, **attributes):
    return lambda graph, x: graph.node(op, [x], **attributes)


def _elu_of(alpha, scale):
    # scale * (relu(x) + alpha * (exp(min(x, 0)) - 1)), from ops with double kernels.
    def elu(graph, x):
        negative = graph.node("Min", [x, graph.const(0.0)])
        expm1 = graph.node("Sub", [graph.node("Exp", [negative]), graph.const(1.0)])
        out = graph.node(
            "Add",
            [graph.node("Relu", [x]), graph.node("Mul", [expm1, graph.const(alpha)])],
        )
        return out if scale == 1 else graph.node("Mul", [out, graph.const(scale)])

    return elu


def leaky(graph, x, slope):
    """``x`` where positive, ``slope * x`` elsewhere (slope: a number or a tensor)."""
    positive = graph.node("Greater", [x, graph.const(0.0)])
    return graph.node(
        "Where", [positive, x, graph.node("Mul", [x, graph.const(slope)])]
    )


def _leaky_of(slope):
    return lambda graph, x: leaky(graph, x, slope)


# The ONNX of each hidden activation of _forward.ACTIVATIONS (the learned
# parameters of PReLU and PSELU are handled apart; before training they are
# leaky with 0.25 and SELU). These
# ops have float and double kernels in onnxruntime; its Selu, Elu, LeakyRelu
# and PRelu are float32 only, so float32 graphs use them and float64 graphs
# the compositions.
ACTIVATIONS = _options.registry(
    "activation",
    {
        "selu": _elu_of(SELU_ALPHA, SELU_SCALE),
        "elu": _elu_of(1.0, 1.0),
        "relu": _unary("Relu"),
        "leaky_relu": _leaky_of(LEAKY_RELU_SLOPE),
        "prelu": _leaky_of(PRELU_INITIAL_SLOPE),
        "pselu": _elu_of(SELU_ALPHA, SELU_SCALE),  # its blend weights start at 1
        "rrelu": _leaky_of(RRELU_SLOPE),
        "tanh": _unary("Tanh"),
        "logistic": _unary("Sigmoid"),
        "sigmoid": _unary("Sigmoid"),
        "gelu": _gelu,
        "swish": _swish,
        "identity": _unary("Identity"),
    },
    _options.ACTIVATIONS,
)
FLOAT32_ACTIVATIONS = {
    **ACTIVATIONS,
    "selu": _unary("Selu", alpha=SELU_ALPHA, gamma=SELU_SCALE),
    "elu": _unary("Elu", alpha=1.0),
    "leaky_relu": _unary("LeakyRelu", alpha=LEAKY_RELU_SLOPE),
    "prelu": _unary("LeakyRelu", alpha=PRELU_INITIAL_SLOPE),
    "pselu": _unary("Selu", alpha=SELU_ALPHA, gamma=SELU_SCALE),
    "rrelu": _unary("LeakyRelu", alpha=RRELU_SLOPE),
}


def _activation(graph, name, x, slope):
    """The hidden activation ``name`` of x; ``slope``: its learned parameters
    (PReLU's slopes, PSELU's blend weights), or None."""
    if slope is not None and name == "pselu":
        # x + a * (selu(x) - x)
        selu = _activation(graph, "selu", x, None)
        change = graph.node("Sub", [selu, x])
        return graph.node("Add", [x, graph.node("Mul", [change, graph.const(slope)])])
    if slope is not None:
        if graph.float_kind == "float":
            return graph.node("PRelu", [x, graph.const(slope)])
        return leaky(graph, x, slope)
    table = FLOAT32_ACTIVATIONS if graph.float_kind == "float" else ACTIVATIONS
    return table[name](graph, x)


# -- the input: encoding and scaling -------------------------------------------------


def _network_input(graph, model, inputs):
    """What the first dense layer reads, from the graph's input(s): the
    encoded input, then the periodic features of its numbers."""
    X, numbers = _encoded_input(graph, model, inputs)
    layout = model._periodic_layout()
    if layout is None:
        return X
    features = _periodic(graph, numbers, model._periodic, layout)
    if model.coefs_[0].ndim == 2:
        return graph.node("Concat", [X, features], axis=1)
    k = model.coefs_[0].shape[0]
    if model._periodic[0].ndim == 2:  # one embedding for every member
        features = graph.node(
            "Reshape", [features, graph.const([1, -1, layout.n_outputs], "int64")]
        )
        features = graph.node("Expand", [features, graph.const([k, 1, 1], "int64")])
    if model._embedding is None:  # the shared input: each member's copy
        width = model.coefs_[0].shape[1] - layout.n_outputs
        X = graph.node("Reshape", [X, graph.const([1, -1, width], "int64")])
        X = graph.node("Expand", [X, graph.const([k, 1, 1], "int64")])
    return graph.node("Concat", [X, features], axis=2)


def _periodic(graph, numbers, params, layout):
    """``_forward.periodic_features`` of the (N, n_numeric) scaled numbers:
    (N, n_numeric * width), or (k, N, n_numeric * width) for an ensemble."""
    frequencies, phases, kernel, bias = params
    n, _, j = layout
    ensemble = kernel.ndim == 4
    shape = [1, -1, n, 1] if ensemble else [-1, n, 1]
    x = graph.node("Reshape", [numbers, graph.const(shape, "int64")])
    if ensemble:  # (k, 1, n, h): broadcast over the rows
        frequencies, phases, bias = (a[:, None] for a in (frequencies, phases, bias))
    angle = graph.node("Mul", [x, graph.const(2 * np.pi * frequencies)])
    z = graph.node("Cos", [graph.node("Add", [angle, graph.const(phases)])])
    # Rows in the middle for the product per column: (..., n, N, h) @ (n, h, j).
    perm = [0, 2, 1, 3] if ensemble else [1, 0, 2]
    z = graph.node("Transpose", [z], perm=perm)
    out = graph.node(
        "Transpose", [graph.node("MatMul", [z, graph.const(kernel)])], perm=perm
    )
    out = graph.node("Add", [out, graph.const(bias)])
    shape = [kernel.shape[0], -1, n * j] if ensemble else [-1, n * j]
    return graph.node("Reshape", [out, graph.const(shape, "int64")])


def _encoded_input(graph, model, inputs):
    """The encoded, scaled input and its (N, n_numeric) numbers (or None)."""
    encoding = model._encoding
    center, scale, clip = model._standardization(np.float64)
    columns = _Columns(graph, inputs, encoding.n_features)
    n_numeric = encoding.numeric.size
    blocks, numbers = [], None
    if n_numeric:
        numbers = columns.take(encoding.numeric)
        if encoding.fill.size:
            missing = graph.node("IsNaN", [numbers])
            numbers = graph.node(
                "Where", [missing, graph.const(encoding.fill), numbers]
            )
        numbers = _scaled(graph, numbers, center[:n_numeric], scale[:n_numeric])
        if clip is not None:
            numbers = _smooth_clip(graph, numbers, clip[1])
        blocks.append(numbers)
    if encoding.indicated.size:
        indicated = graph.node(
            "Gather", [missing, graph.const(encoding.indicated, kind="int64")], axis=1
        )
    codes = [
        _codes(graph, columns.one(j), levels, encoding.names[j])
        for j, levels in zip(encoding.categorical, encoding.levels)
    ]
    others = (
        [graph.node("Cast", [indicated], to=graph.float_proto)]
        if (encoding.indicated.size)
        else []
    )
    for code, hot, slot, levels in zip(
        codes, encoding.onehot, encoding.missing_slot, encoding.levels
    ):
        if hot:  # code 0 (missing, unseen) has a column only with a slot
            values = graph.const(np.arange(1 - int(slot), len(levels) + 1), "int64")
            others.append(
                graph.node(
                    "Cast", [graph.node("Equal", [code, values])], to=graph.float_proto
                )
            )
    if others:
        n_dense = encoding.n_dense
        blocks.append(
            _scaled(
                graph,
                _concat(graph, others),
                center[n_numeric:n_dense],
                scale[n_numeric:n_dense],
            )
        )
    embedded = [code for code, hot in zip(codes, encoding.onehot) if not hot]
    if not embedded:
        return _concat(graph, blocks), numbers
    rows = _embedded(graph, model, embedded)
    if model._embedding.ndim == 2:
        return _concat(graph, [*blocks, rows]), numbers
    # An ensemble: each member's own tables, (k, N, width); the dense columns
    # (N, n_dense) are each member's too.
    k = model._embedding.shape[0]
    if not blocks:
        return rows, numbers
    dense = _concat(graph, blocks)
    dense = graph.node(
        "Reshape", [dense, graph.const([1, -1, encoding.n_dense], "int64")]
    )
    dense = graph.node("Expand", [dense, graph.const([k, 1, 1], "int64")])
    return graph.node("Concat", [dense, rows], axis=2), numbers


def _scaled(graph, x, center, scale):
    if np.all(center == 0) and np.all(scale == 1):
        return x
    return graph.node(
        "Div", [graph.node("Sub", [x, graph.const(center)]), graph.const(scale)]
    )


def _smooth_clip(graph, x, bound):
    # x / sqrt(1 + (x / bound)^2), as _forward.smooth_clip.
    ratio = graph.node("Div", [x, graph.const(float(bound))])
    square = graph.node("Mul", [ratio, ratio])
    root = graph.node("Sqrt", [graph.node("Add", [square, graph.const(1.0)])])
    return graph.node("Div", [x, root])


def _embedded(graph, model, codes):
    """Each code column's row of its table, side by side (N, n_codes * dim);
    (k, N, n_codes * dim) for an ensemble."""
    layout = model._embedding_layout()
    shifted = graph.node(
        "Add", [_concat(graph, codes), graph.const(layout.offsets, kind="int64")]
    )
    table = model._embedding  # (k, total, dim) for an ensemble: per member
    axis = table.ndim - 2
    rows = graph.node("Gather", [graph.const(table), shifted], axis=axis)
    shape = [-1, len(layout.sizes) * layout.dim]
    if axis:
        shape = [table.shape[0], *shape]
    return graph.node("Reshape", [rows, graph.const(shape, kind="int64")])


def _codes(graph, column, levels, title):
    """The (N, 1) int64 codes of a categorical column: 1 + level, 0 if unknown."""
    kind, name = column.kind, column.name
    if kind == "string":
        keys = {"keys_strings": [str(level) for level in levels]}
    elif any(isinstance(level, str) for level in levels):
        raise TypeError(
            f"The categorical {title} has text levels but its ONNX input is "
            f"{kind}: give it as a string column (X.astype({{...: str}}))."
        )
    elif kind in ("int64", "int32"):
        keys = {"keys_int64s": [int(level) for level in levels]}
        if kind == "int32":
            name = graph.node("Cast", [name], to=_proto().INT64)
    else:  # LabelEncoder (ai.onnx.ml 2) compares float32 keys
        keys = {"keys_floats": [float(level) for level in levels]}
        if kind != "float":
            name = graph.node("Cast", [name], to=_proto().FLOAT)
    return graph.node(
        "LabelEncoder",
        [name],
        op_domain="ai.onnx.ml",
        op_version=2,
        default_int64=0,
        values_int64s=list(range(1, len(levels) + 1)),
        **keys,
    )


def _concat(graph, names):
    return names[0] if len(names) == 1 else graph.node("Concat", names, axis=1)


class _Column:
    def __init__(self, name, kind):
        self.name, self.kind = name, kind


class _Columns:
    """X's columns from one (N, n_features) input or one (N, 1) input each."""

    def __init__(self, graph, inputs, n_features):
        self.graph, self.inputs, self.n_features = graph, inputs, n_features
        self.single = len(inputs) == 1
        width = inputs[0].type.shape[1] if self.single else len(inputs)
        if isinstance(width, int) and width != n_features:
            raise ValueError(
                f"The ONNX input has {width} columns, but the estimator was "
                f"fitted on {n_features} features: give an input of that width, "
                "or one input per column."
            )

    def one(self, j):
        """Column j, (N, 1), in its own type."""
        variable = self.inputs[0 if self.single else j]
        name = variable.full_name
        if self.single:
            index = self.graph.const([j], kind="int64")
            name = self.graph.node("Gather", [name, index], axis=1)
        return _Column(name, _kind(variable))

    def take(self, indices):
        """Columns ``indices`` as one (N, len(indices)) block of the float type."""
        graph = self.graph
        if not self.single:
            return _concat(graph, [self._as_float(self.inputs[j]) for j in indices])
        x = self._as_float(self.inputs[0])
        if np.array_equal(indices, np.arange(self.n_features)):
            return x
        return graph.node("Gather", [x, graph.const(indices, "int64")], axis=1)

    def _as_float(self, variable):
        kind = _kind(variable)
        if kind == "string":
            raise TypeError(
                f"The ONNX input {variable.onnx_name!r} holds strings where the "
                "estimator was fitted on numbers."
            )
        if kind == self.graph.float_kind:
            return variable.full_name
        return self.graph.node("Cast", [variable.full_name], to=self.graph.float_proto)


def _kind(variable):
    from skl2onnx.common import data_types as t

    kinds = {
        t.FloatTensorType: "float",
        t.DoubleTensorType: "double",
        t.Int64TensorType: "int64",
        t.Int32TensorType: "int32",
        t.BooleanTensorType: "bool",
        t.StringTensorType: "string",
    }
    for cls, kind in kinds.items():
        if isinstance(variable.type, cls):
            return kind
    raise TypeError(
        f"The ONNX input {variable.onnx_name!r} has type {variable.type!r}; "
        "sksnn's converter takes float, double, int64, int32, bool or string."
    )


def _proto():
    from onnx import TensorProto

    return TensorProto


class _Graph:
    """Nodes and constants added to skl2onnx's container, in one float type."""

    def __init__(self, scope, container, float_type):
        from skl2onnx.common.data_types import DoubleTensorType

        self.scope, self.container = scope, container
        double = float_type is DoubleTensorType
        self.float_kind = "double" if double else "float"
        self.float_proto = _proto().DOUBLE if double else _proto().FLOAT
        self.dtype = np.float64 if double else np.float32

    def const(self, value, kind="float"):
        """An initializer holding ``value`` (in the graph's float type by default)."""
        protos = {
            "float": self.float_proto,
            "int64": _proto().INT64,
            "string": _proto().STRING,
        }
        dtype = {"float": self.dtype, "int64": np.int64, "string": object}[kind]
        array = np.asarray(value, dtype=dtype)
        name = self.scope.get_unique_variable_name("c")
        values = array.ravel().tolist()
        if kind == "string":
            values = [v.encode("utf-8") for v in values]
        self.container.add_initializer(name, protos[kind], list(array.shape), values)
        return name

    def node(self, op, inputs, output=None, op_domain="", op_version=None, **attrs):
        """Add one node; return the name of its output."""
        output = output or self.scope.get_unique_variable_name(op.lower())
        self.container.add_node(
            op,
            inputs,
            [output],
            name=self.scope.get_unique_operator_name(op),
            op_domain=op_domain,
            op_version=op_version,
            **attrs,
        )
        return output
