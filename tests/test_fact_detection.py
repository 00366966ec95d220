"""`rafmodel.fact_detection` and `raf facts`: the detectors' AUC on the simulations' data, beside AMP's prediction.

The agreement of AMP's measured AUC with its prediction at d = 2000 (with power) is in
test_amp.py; here: what the command reports is what the pieces give on the same data.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

import rafmodel as rm
from rafmodel.data import GaussianRAF
from rafmodel.facts import DETECTORS, fact_detection
from rafmodel.simulation import repetition_seed
from rafmodel.theory.amp_se import predicted_fact_auc


@pytest.fixture(scope="module")
def small():
    return fact_detection(4.0, 0.2, d=300, seeds=2, seed=5)


def test_reports_each_detector_with_amp_beside_its_prediction(small):
    recs = small.to_records()
    assert [r["detector"] for r in recs] == list(DETECTORS)
    assert all(r["failed"] == 0 and 0.6 < r["auc"] < 0.8 for r in recs)  # all detect facts better than chance
    amp_rec = recs[0]
    assert amp_rec["auc_theory"] == predicted_fact_auc(4.0, 0.2)
    assert amp_rec["auc_z"] == pytest.approx((amp_rec["auc"] - amp_rec["auc_theory"]) / amp_rec["auc_se"])
    assert math.isnan(recs[1]["auc_theory"]) and math.isnan(recs[2]["auc_z"])


def test_amp_auc_is_that_of_the_posterior_on_the_simulations_training_sets(small):
    setting = rm.Setting(alpha=4.0, eps=0.2, lam=0, learner="bayes")
    for i in range(2):
        train, _ = GaussianRAF(d=300, n_test=1).sample(setting, repetition_seed(5, i))
        r = rm.amp(train.X, train.y, 0.2)
        assert small.auc["amp"][i] == roc_auc_score(train.is_fact, r.fact_posterior)


def test_raf_facts_prints_the_library_records(raf, small):
    code, out, err = raf(["facts", "--alpha", "4", "--eps", "0.2", "--d", "300", "--seeds", "2", "--seed", "5",
                          "--json"])
    assert code == 0, err
    rows = json.loads(out)
    assert [r["auc"] for r in rows] == [r["auc"] for r in small.to_records()]


@pytest.mark.parametrize("argv, message", [
    (["--eps", "0"], "eps: must be in (0, 1)"),
    (["--eps", "0.2", "--lam", "0"], "lam: must be > 0"),
    (["--eps", "0.2", "--seeds", "0"], "seeds: must be a positive integer"),
])
def test_raf_facts_refuses_bad_input_in_one_line(raf, argv, message):
    code, out, err = raf(["facts", "--alpha", "2", "--d", "50", *argv])
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
