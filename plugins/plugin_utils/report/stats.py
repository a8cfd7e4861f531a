# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report's statistical settings, and the noise of a mean of repeated runs.

NoiseSettings carries what the user chooses (confidence, the band assumed without repeats, the
uniformity tolerance). The host-vs-fleet and A/B tests live in report_host_stats; the pooled
relative noise here serves the fleet-run scaling estimate. Without repeats the spread is
unknown: the band falls back to a documented default and the report says it was assumed.
"""
from __future__ import annotations

import dataclasses
import math
import statistics
import typing as t

try:
    from scipy import special as _scipy_special
    from scipy import stats as _scipy_stats
except ImportError:  # pragma: no cover - reported by the filter/callback that needs it
    _scipy_special = _scipy_stats = None

DEFAULT_NOISE_PCT = 5.0
CONFIDENCE = 0.95
UNIFORM_WITHIN_PCT = 10.0


def require_scipy() -> None:
    if _scipy_stats is None:
        raise RuntimeError("the fleet report needs scipy on the controller: pip install -r requirements/controller.txt")


def scipy_stats() -> t.Any:
    """scipy.stats, or the one-line error that says how to install it."""
    require_scipy()
    return _scipy_stats


def scipy_special() -> t.Any:
    require_scipy()
    return _scipy_special


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
    """How the report judges noise: the band assumed without repeats, the confidence of every
    interval it draws, and the tolerance within which the fleet is called uniform."""

    default_pct: float = DEFAULT_NOISE_PCT
    confidence: float = CONFIDENCE
    uniform_within_pct: float = UNIFORM_WITHIN_PCT

    def __post_init__(self) -> None:
        if not 0.5 <= self.confidence < 1:
            raise ValueError(f"confidence must be at least 0.5 and below 1, got {self.confidence!r}")
        if self.default_pct < 0:
            raise ValueError(f"default_noise_pct must not be negative, got {self.default_pct!r}")
        if not 0 < self.uniform_within_pct < 100:
            raise ValueError(f"uniform_within_pct must be above 0 and below 100, got {self.uniform_within_pct!r}")

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


def combined_uncertainty(*relative: float) -> float:
    """Relative uncertainty of a product or ratio of independent quantities."""
    return math.sqrt(sum(r * r for r in relative))
