#!/usr/bin/python3
"""Malipo's bridge to the real XGBoost (Debian's python3-xgboost, apt-get install python3-xgboost).

Called only by src/risk/model/train.ts, which writes the data and a JSON job file into a work
directory and reads back a JSON result file. Three commands:

  train-xgboost.py version            prints {"xgboost": "<version>"}; used to detect the install
  train-xgboost.py train   JOB.json   trains a binary:logistic model and saves it as XGBoost JSON
  train-xgboost.py predict JOB.json   runs XGBoost's own prediction (the golden reference)

Data files are CSV written by train.ts: training files have `label,weight,f0,...,fN-1`, prediction
files have `f0,...,fN-1`. Missing values are the literal `nan` and are passed to XGBoost as
missing (never as zero).

Run it with /usr/bin/python3 explicitly: another python3 earlier on PATH will not see Debian's
xgboost module.
"""

import json
import sys

import numpy as np
import xgboost as xgb


def fail(message):
    sys.stderr.write("train-xgboost.py: " + message + "\n")
    sys.exit(2)


def read_json(path):
    with open(path, "r", encoding="utf-8") as handle:
        return json.load(handle)


def write_json(path, value):
    # allow_nan=False: a NaN in a result is a bug and must not reach train.ts as invalid JSON.
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(value, handle, allow_nan=False)


def load_csv(path, column_count):
    data = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    if data.shape[0] == 0 or data.shape[1] != column_count:
        fail("%s: expected %d columns and at least one row, got shape %s" % (path, column_count, data.shape))
    return data


def load_labelled(path, feature_names, feature_types, nthread):
    data = load_csv(path, len(feature_names) + 2)
    labels, weights, features = data[:, 0], data[:, 1], data[:, 2:]
    if not np.all((labels == 0) | (labels == 1)):
        fail("%s: labels must be 0 or 1" % path)
    matrix = xgb.DMatrix(
        features,
        label=labels,
        weight=weights,
        missing=np.nan,
        feature_names=feature_names,
        feature_types=feature_types,
        nthread=nthread,
    )
    return matrix


def train(job):
    params = job["params"]
    names, types = job["featureNames"], job["featureTypes"]
    dtrain = load_labelled(job["trainPath"], names, types, params["nthread"])
    evals = [(dtrain, "train")]
    if job.get("validationPath"):
        evals.append((load_labelled(job["validationPath"], names, types, params["nthread"]), "validation"))
    stopping_rounds = job.get("earlyStoppingRounds") if len(evals) > 1 else None
    history = {}
    booster = xgb.train(
        params,
        dtrain,
        num_boost_round=job["numRound"],
        evals=evals,
        evals_result=history,
        early_stopping_rounds=stopping_rounds,
        verbose_eval=False,
    )
    best_iteration = booster.num_boosted_rounds() - 1
    if stopping_rounds:
        # xgb.train keeps the rounds after the best one; slice them off so the saved model is
        # exactly what should be served, and every evaluator of the file agrees on the trees.
        best_iteration = booster.best_iteration
        booster = booster[: best_iteration + 1]
    booster.save_model(job["modelPath"])
    metrics = {}
    for set_name, by_metric in history.items():
        for metric, values in by_metric.items():
            value = float(values[best_iteration])
            # AUC is NaN on a set with one class; leave it out rather than write invalid JSON.
            if value == value:
                metrics[set_name + "-" + metric] = value
    write_json(
        job["resultPath"],
        {
            "xgboostVersion": xgb.__version__,
            "rounds": booster.num_boosted_rounds(),
            "bestIteration": best_iteration,
            "metrics": metrics,
        },
    )


# Tree fields XGBoost's JSON reader requires to be floating point. JavaScript's JSON.stringify
# writes a whole-valued float such as 0.0 as `0`, which XGBoost rejects ("Invalid cast, from
# Integer to Number"), so a model that passed through the envelope gets its type tags restored.
# Only the tags change: every value is the same number XGBoost wrote.
FLOAT_TREE_FIELDS = ("base_weights", "loss_changes", "split_conditions", "sum_hessian")


def load_booster(path):
    with open(path, "r", encoding="utf-8") as handle:
        model = json.load(handle)
    for tree in model["learner"]["gradient_booster"]["model"]["trees"]:
        for field in FLOAT_TREE_FIELDS:
            tree[field] = [float(value) for value in tree[field]]
    return xgb.Booster(model_file=bytearray(json.dumps(model), "utf-8"))


def predict(job):
    booster = load_booster(job["modelPath"])
    booster.set_param({"nthread": job["nthread"]})
    names = booster.feature_names
    features = load_csv(job["rowsPath"], len(names) if names else job["featureCount"])
    matrix = xgb.DMatrix(
        features, missing=np.nan, feature_names=names, feature_types=booster.feature_types
    )
    result = {
        # float32 values widened to float64: Python's repr round-trips them exactly through JSON.
        "probabilities": booster.predict(matrix).astype(np.float64).tolist(),
        "margins": booster.predict(matrix, output_margin=True).astype(np.float64).tolist(),
    }
    if job.get("approxContributions"):
        # approx_contribs is XGBoost's own Saabas attribution: the reference for gbt.ts explain.
        contributions = booster.predict(matrix, pred_contribs=True, approx_contribs=True)
        result["contributions"] = contributions.astype(np.float64).tolist()
    write_json(job["resultPath"], result)


def main(argv):
    if len(argv) == 2 and argv[1] == "version":
        print(json.dumps({"xgboost": xgb.__version__}))
        return
    if len(argv) != 3 or argv[1] not in ("train", "predict"):
        fail("usage: train-xgboost.py version | train JOB.json | predict JOB.json")
    job = read_json(argv[2])
    if argv[1] == "train":
        train(job)
    else:
        predict(job)


if __name__ == "__main__":
    main(sys.argv)
