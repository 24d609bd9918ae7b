"""The risk matrix of seed 003, cell by cell."""

import pytest

from domain.risk import RiskAssessment, action_band, risk_score

# (impact, likelihood) -> score, as the seed's grid reads (impact rows dominate).
SEED_003_MATRIX = {
    ("high", "high"): 9, ("high", "medium"): 8, ("high", "low"): 7,
    ("medium", "high"): 6, ("medium", "medium"): 5, ("medium", "low"): 4,
    ("low", "high"): 3, ("low", "medium"): 2, ("low", "low"): 1,
}

BANDS = {9: "immediate action needed", 8: "key risk", 7: "key risk", 6: "key risk",
         5: "monitor", 4: "monitor", 3: "monitor", 2: "monitor", 1: "no action"}


@pytest.mark.parametrize(("cell", "score"), SEED_003_MATRIX.items())
def test_each_cell_of_the_matrix_scores_as_the_seed_says(cell, score):
    impact, likelihood = cell
    assert risk_score(impact, likelihood) == score
    assert RiskAssessment(impact, likelihood).band.value == BANDS[score]


@pytest.mark.parametrize(("score", "band"), BANDS.items())
def test_each_score_falls_in_its_action_band(score, band):
    assert action_band(score).value == band


def test_impact_outranks_likelihood():
    assert risk_score("high", "low") > risk_score("low", "high")
