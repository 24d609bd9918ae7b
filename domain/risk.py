"""The 3x3 risk matrix of seed 003 ("EMRIEP - Risk Analysis Criteria").

The matrix is not impact times likelihood: impact sets the row and dominates,
so a high-impact risk that is unlikely (7) still outranks a low-impact one that
is certain (3). The seed's grid reads, impact rows against likelihood columns:

                  likelihood low   medium   high
    impact high            7        8        9   immediate action at 9
    impact medium          4        5        6
    impact low             1        2        3

The seed's extracted text labels the likelihood axis "High ... low" from left
to right, which would make an unlikely high-impact risk the only one needing
immediate action; we read the grid the way its scores and wording run (1 "no
action necessary" with low impact, 9 "serious threat" with high impact) and
put high likelihood beside the higher score in each row.
"""

from dataclasses import dataclass
from typing import Any

from domain.vocabulary import Level, RiskBand

_ROW = {Level.LOW: 0, Level.MEDIUM: 3, Level.HIGH: 6}
_COLUMN = {Level.LOW: 1, Level.MEDIUM: 2, Level.HIGH: 3}

IMMEDIATE_ACTION_SCORE = 9


def risk_score(impact: Level, likelihood: Level) -> int:
    """The score of one cell of the matrix, 1 to 9."""
    return _ROW[Level(impact)] + _COLUMN[Level(likelihood)]


def action_band(score: int) -> RiskBand:
    """9 immediate action; 8, 7, 6 key risks; 5, 4, 3, 2 monitor; 1 no action."""
    if score >= IMMEDIATE_ACTION_SCORE:
        return RiskBand.IMMEDIATE_ACTION
    if score >= 6:
        return RiskBand.KEY_RISK
    if score >= 2:
        return RiskBand.MONITOR
    return RiskBand.NO_ACTION


@dataclass(frozen=True)
class RiskAssessment:
    """One reading of the matrix: the two levels, and the score and band they give."""

    impact: Level
    likelihood: Level

    @property
    def score(self) -> int:
        return risk_score(self.impact, self.likelihood)

    @property
    def band(self) -> RiskBand:
        return action_band(self.score)


@dataclass(frozen=True)
class RiskControls:
    """The columns of seed 003's risk table beside the inherent and residual scores:
    who owns the risk, how it is managed, the key controls, and the indicators that
    warn it is materialising (e.g. "Report to the EMRIEP Steering Group").

    All optional, so an assessment may give them as they become known.
    """

    owner: str = ""
    management_solution: str = ""
    key_controls: tuple[str, ...] = ()
    risk_indicators: tuple[str, ...] = ()

    def as_fields(self) -> dict[str, Any]:
        """Primitives for the stored event and the case's view."""
        return {"owner": self.owner, "management_solution": self.management_solution,
                "key_controls": list(self.key_controls),
                "risk_indicators": list(self.risk_indicators)}

    def given(self) -> dict[str, Any]:
        """Only the columns this assessment gave: the ones it changes."""
        return {name: value for name, value in self.as_fields().items() if value}
