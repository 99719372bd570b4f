"""Time from advice to the first recurrence: the documented hazard model of the
synthetic data (docs/evaluation.md, "The generator's hazard model").

Pure. The generator and the `npa-2016` follow-up (`interchange.synth`) and the
demo cases (`cases.demo`) all draw recurrence times from it, so the evaluation
(DESIGN §5) has a known truth to recover.
"""

from __future__ import annotations

import math
import random


class HazardModel:
    """Time from advice to the first recurrence, as a proportional-hazards Weibull.

    S(t | x) = exp(−HR(x) · (t / SCALE)^SHAPE), with HR(x) the product of the
    hazard ratios of the episode's group and covariates. The shape below 1 makes
    the hazard fall with time since advice (most stalkers who resume do so soon).
    The scale puts the reference episode (rejected, no covariate) at 10 % resumed
    after a year, the NPA's "about 10 % resume" figure. Because the hazards are
    proportional at every time, the true hazard ratios are also those of the
    Cox model on a landmark sample, which is what the evaluation estimates.
    """

    SHAPE = 0.5
    ONE_YEAR_RECURRENCE = 0.10
    SCALE = 365 / (-math.log(1 - ONE_YEAR_RECURRENCE)) ** (1 / SHAPE)
    # Hazard ratios by the group at the landmark (rejected is the reference)…
    GROUP_HR: dict[str, float] = {
        "received": 0.6,
        "accepted_not_received": 0.85,
        "rejected": 1.0,
        "undecided": 1.0,
    }
    # …and by the covariates of DESIGN §5.
    PARTNER_HR = 1.3
    PRIOR_ORDER_HR = 1.5
    PRIOR_ARREST_HR = 1.4

    @classmethod
    def hazard_ratio(
        cls, group: str, partner: bool, prior_order: bool, prior_arrest: bool
    ) -> float:
        hr = cls.GROUP_HR[group]
        if partner:
            hr *= cls.PARTNER_HR
        if prior_order:
            hr *= cls.PRIOR_ORDER_HR
        if prior_arrest:
            hr *= cls.PRIOR_ARREST_HR
        return hr

    @classmethod
    def draw_days(cls, rng: random.Random, hr: float, after: float = 0.0) -> float:
        """Days from advice to recurrence, given no recurrence in the first `after`
        days (inverse transform of the conditional survival function)."""
        return cls._days(rng.expovariate(1.0), hr, after)

    @classmethod
    def days_at(cls, quantile: float, hr: float) -> float:
        """The days by which a share `quantile` (0–1) of such episodes has recurred:
        the recurrence time at that quantile, for spreading a few episodes evenly
        over the model's distribution instead of drawing them."""
        return cls._days(-math.log(1 - quantile), hr)

    @classmethod
    def _days(cls, exponential: float, hr: float, after: float = 0.0) -> float:
        cumulative = (after / cls.SCALE) ** cls.SHAPE + exponential / hr
        return float(cls.SCALE * cumulative ** (1 / cls.SHAPE))

    @classmethod
    def recurrence_free(cls, days: float, hr: float = 1.0) -> float:
        return math.exp(-hr * (days / cls.SCALE) ** cls.SHAPE)
