# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Statistics behind every "faster", "slower" and "no difference measurable" in the report.

The noise band is the confidence interval (95% unless set) of a host's difference from the
fleet median, estimated from the run-to-run spread of repeated runs (pooled relative standard
deviation over all hosts, Student's t for its degrees of freedom). Without repeats the spread
is unknown: the band falls back to a documented default and the report says it was assumed.

Each host is judged on its own, so at 95% about one unchanged host in twenty is flagged: a
large fleet, or a gate that must not raise false alarms, sets a higher confidence.
"""
from __future__ import annotations

import dataclasses
import math
import statistics
import typing as t

try:
    from scipy import stats as _scipy_stats
except ImportError:  # pragma: no cover - reported by the filter/callback that needs it
    _scipy_stats = None

DEFAULT_NOISE_PCT = 5.0
CONFIDENCE = 0.95


def require_scipy() -> None:
    if _scipy_stats is None:
        raise RuntimeError("the fleet report needs scipy on the controller: pip install -r requirements/controller.txt")


@dataclasses.dataclass
class Sample:
    """Repeated measurements of one metric on one host."""

    values: list[float]

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def relative_sd(self) -> float | None:
        """Standard deviation over mean; None with fewer than two values."""
        if self.n < 2 or self.mean == 0:
            return None
        return statistics.stdev(self.values) / abs(self.mean)


@dataclasses.dataclass(frozen=True)
class NoiseSettings:
    """How the report judges noise: the band assumed without repeats, and the confidence of
    every interval it draws."""

    default_pct: float = DEFAULT_NOISE_PCT
    confidence: float = CONFIDENCE

    def __post_init__(self) -> None:
        if not 0.5 <= self.confidence < 1:
            raise ValueError(f"confidence must be at least 0.5 and below 1, got {self.confidence!r}")
        if self.default_pct < 0:
            raise ValueError(f"default_noise_pct must not be negative, got {self.default_pct!r}")

    @property
    def confidence_pct(self) -> str:
        return f"{self.confidence * 100:g}%"


@dataclasses.dataclass
class NoiseModel:
    """Run-to-run relative spread of a metric, measured from repeats or assumed."""

    relative_sd: float | None
    degrees_of_freedom: int
    settings: NoiseSettings = NoiseSettings()

    @property
    def default_pct(self) -> float:
        return self.settings.default_pct

    @property
    def measured(self) -> bool:
        return self.relative_sd is not None and self.degrees_of_freedom > 0

    @property
    def method(self) -> str:
        if self.measured:
            return (f"measured from repeats (pooled relative SD {self.relative_sd * 100:.1f}%, "
                    f"{self.degrees_of_freedom} df, {self.settings.confidence_pct} t interval)")
        return f"assumed {self.default_pct:g}% (no repeated runs: set fleetbench_repeats >= 2 to measure it)"

    def band(self, n_host: int, n_rest: int) -> float:
        """Half-width, as a fraction, of the interval of one host's difference from the rest."""
        if not self.measured:
            return self.default_pct / 100.0
        rest_term = 1.0 / n_rest if n_rest else 0.0
        return self._t_critical() * self.relative_sd * math.sqrt(1.0 / max(n_host, 1) + rest_term)

    def mean_uncertainty(self, n: int) -> float:
        """Half-width, as a fraction, of the interval of a mean of n runs."""
        if not self.measured:
            return self.default_pct / 100.0
        return self._t_critical() * self.relative_sd / math.sqrt(max(n, 1))

    def _t_critical(self) -> float:
        require_scipy()
        return float(_scipy_stats.t.ppf(0.5 + self.settings.confidence / 2, self.degrees_of_freedom))


def pooled_noise(samples: t.Iterable[Sample], settings: NoiseSettings = NoiseSettings()) -> NoiseModel:
    """Pool the relative variance of every host that has repeats (weighted by its df)."""
    weighted, df = 0.0, 0
    for sample in samples:
        rsd = sample.relative_sd
        if rsd is not None:
            weighted += (sample.n - 1) * rsd ** 2
            df += sample.n - 1
    return NoiseModel(math.sqrt(weighted / df) if df else None, df, settings)


def relative_change(value: float, reference: float) -> float | None:
    """(value - reference) / reference, or None when the reference is zero."""
    if reference == 0:
        return None
    return (value - reference) / reference


def welch_p_value(before: list[float], after: list[float]) -> float | None:
    """Two-sided p-value of Welch's t-test; None when either side has fewer than two runs."""
    if len(before) < 2 or len(after) < 2:
        return None
    if statistics.pvariance(before) == 0 and statistics.pvariance(after) == 0:
        return 0.0 if statistics.fmean(before) != statistics.fmean(after) else 1.0
    require_scipy()
    return float(_scipy_stats.ttest_ind(after, before, equal_var=False).pvalue)


def combined_uncertainty(*relative: float) -> float:
    """Relative uncertainty of a product or ratio of independent quantities."""
    return math.sqrt(sum(r * r for r in relative))
