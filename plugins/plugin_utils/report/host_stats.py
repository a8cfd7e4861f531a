# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each host against the rest of the fleet, and each host against itself before a change.

Everything is computed on the logarithm of the metric, so that a host at a quarter of the
others' speed is as far from them as one at four times their speed, and a band can never
swallow a slowdown by being wider than 100%.

- Noise: the run-to-run variance of the log metric within each host, pooled over hosts
  weighted by their degrees of freedom. A host whose own spread is beyond the others' (F test
  at NOISY_HOST_LEVEL) is set apart: it is judged with its own spread and does not widen the
  band of every other host.
- Host vs fleet: the host's mean log metric against the fleet median of the hosts' means (from
  four hosts on, of the others only), robust to one odd host, Student's t on the pooled df,
  Holm's step-down correction over the hosts compared, so that the chance of flagging any
  unchanged host stays at 1 - confidence per report, however many hosts it holds.
- Minimum detectable difference: the difference a host must have from the others to be
  flagged with DETECTION_POWER probability, given the repeats and noise measured.
- Uniformity: two one-sided tests per host against +/- the user's tolerance; the fleet is
  called uniform only when every host is shown within it (intersection-union, no correction).
- Outliers among hosts: modified z-score of the hosts' means (distance from the median in
  MADs), apart from the noise-band verdicts.
- A/B: per host, this run's mean log metric against the baseline's, on the noise of both
  runs pooled, Holm over the hosts compared.
"""
from __future__ import annotations

import dataclasses
import functools
import math
import statistics
import typing as t

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.stats import NoiseSettings, scipy_special, scipy_stats

NOISY_HOST_LEVEL = 0.01
DETECTION_POWER = 0.8
OUTLIER_MODIFIED_Z = 3.5
# The variance of a median of k means is at most pi/2 times that of their mean (the large-k
# limit; small k is below it), so the median's uncertainty is never understated.
MEDIAN_VARIANCE_FACTOR = math.pi / 2


def log_values(values: t.Iterable[float]) -> list[float]:
    return [math.log(v) for v in values if v > 0 and math.isfinite(v)]


@dataclasses.dataclass(frozen=True)
class HostNoise:
    """Run-to-run variance of the log metric: pooled over hosts, and per host where set apart."""

    pooled_variance: float | None
    degrees_of_freedom: int
    own: t.Mapping[t.Hashable, tuple[float, int]]  # host -> (variance, df) of each host with repeats
    set_apart: tuple[t.Hashable, ...]

    @property
    def measured(self) -> bool:
        return self.pooled_variance is not None and self.degrees_of_freedom > 0

    @property
    def sd(self) -> float | None:
        return None if self.pooled_variance is None else math.sqrt(self.pooled_variance)

    def variance_of(self, host: t.Hashable) -> tuple[float, int]:
        """The variance to judge `host` with, and its degrees of freedom."""
        if host in self.set_apart:
            return self.own[host]
        return t.cast(float, self.pooled_variance), self.degrees_of_freedom


def host_noise(logs: t.Mapping[t.Hashable, list[float]]) -> HostNoise:
    """Pool within-host variances; set apart a host whose spread is beyond the pool of the others."""
    own = {h: (_variance(v), len(v) - 1) for h, v in logs.items() if len(v) >= 2}
    total = _Pool.of(own.values())
    set_apart = tuple(sorted((h for h in own if _spread_beyond_others(own[h], total.without(*own[h]), len(own))), key=str))
    kept = {h: own[h] for h in own if h not in set_apart}
    variance, df = _pool(kept.values())
    return HostNoise(variance, df, own, set_apart)


def _variance(values: list[float]) -> float:
    mean = statistics.fmean(values)
    return sum((v - mean) ** 2 for v in values) / (len(values) - 1)


def _pool(variances: t.Iterable[tuple[float, int]]) -> tuple[float | None, int]:
    weighted = df = 0
    for variance, host_df in variances:
        weighted += variance * host_df
        df += host_df
    return (weighted / df if df else None), df


@dataclasses.dataclass(frozen=True)
class _Pool:
    """Sums of df-weighted variances and their dfs, from which the pool of the others comes in O(1)
    (pooling the others afresh for every host made a 1,000-host report quadratic)."""

    weighted: float
    df: int
    hosts: int
    zero_hosts: int

    @classmethod
    def of(cls, variances: t.Iterable[tuple[float, int]]) -> _Pool:
        items = list(variances)
        return cls(math.fsum(v * d for v, d in items), sum(d for v, d in items), len(items), sum(1 for v, d in items if v == 0))

    def without(self, variance: float, df: int) -> tuple[float | None, int]:
        """The pool of every host but one (its variance and df)."""
        others_df = self.df - df
        if not others_df:
            return None, 0
        if self.zero_hosts - (variance == 0) == self.hosts - 1:
            return 0.0, others_df  # exactly: a subtraction would leave rounding where the others have no spread
        return max(0.0, self.weighted - variance * df) / others_df, others_df


def _spread_beyond_others(own: tuple[float, int], others: tuple[float | None, int], hosts: int) -> bool:
    others_variance, others_df = others
    if not others_df:
        return False
    variance, df = own
    if others_variance == 0:
        return variance > 0 and hosts > 2
    return variance / others_variance > _f_quantile(1 - NOISY_HOST_LEVEL, df, others_df)


def comparisons(hosts: int) -> int:
    """Independent questions asked of a fleet: one per host, but two hosts ask one (their gap)."""
    return 1 if hosts == 2 else hosts


def holm(p_values: t.Mapping[str, float], alpha: float) -> dict[str, tuple[bool, float]]:
    """Holm's step-down test: host -> (rejected, the level its p-value was compared with)."""
    ordered = sorted(p_values.items(), key=lambda item: (item[1], item[0]))
    out, still_rejecting = {}, True
    for rank, (host, p) in enumerate(ordered):
        level = alpha / (len(ordered) - rank)
        still_rejecting = still_rejecting and p <= level
        out[host] = (still_rejecting, level)
    return out


@dataclasses.dataclass(frozen=True)
class Difference:
    """One log-scale difference with its standard error and degrees of freedom."""

    estimate: float
    standard_error: float
    degrees_of_freedom: int

    def p_value(self) -> float:
        if self.standard_error == 0:
            return 0.0 if self.estimate != 0 else 1.0
        # Student's t distribution function (the ufunc behind scipy.stats.t, without its overhead).
        return float(2 * scipy_special().stdtr(self.degrees_of_freedom, -abs(self.estimate) / self.standard_error))

    def half_width(self, two_sided_level: float) -> float:
        return _t_quantile(1 - two_sided_level / 2, self.degrees_of_freedom) * self.standard_error

    def within(self, tolerance_pct: float, alpha: float) -> str:
        """TOST at `alpha`: 'within', 'outside' (beyond the tolerance at alpha) or 'not shown'."""
        low, high = math.log(1 - tolerance_pct / 100), math.log(1 + tolerance_pct / 100)
        reach = _t_quantile(1 - alpha, self.degrees_of_freedom) * self.standard_error
        if low < self.estimate - reach and self.estimate + reach < high:
            return "within"
        if self.estimate - reach > high or self.estimate + reach < low:
            return "outside"
        return "not shown"


@functools.lru_cache(maxsize=4096)
def _t_quantile(q: float, df: int) -> float:
    return float(scipy_stats().t.ppf(q, df))


@functools.lru_cache(maxsize=4096)
def _f_quantile(q: float, df_num: int, df_den: int) -> float:
    return float(scipy_stats().f.ppf(q, df_num, df_den))


def _log_band_for(pct: float, direction: float) -> float:
    """The log band that band_percent() shows as `pct` on the side of `direction`."""
    return -math.log1p(-pct / 100) if direction < 0 else math.log1p(pct / 100)


def percent(log_difference: float) -> float:
    return math.expm1(log_difference) * 100


def band_percent(log_band: float, direction: float) -> float:
    """A symmetric log band as the percentage on the side of `direction` (slower side when negative)."""
    return -math.expm1(-log_band) * 100 if direction < 0 else math.expm1(log_band) * 100


@dataclasses.dataclass(frozen=True)
class HostVerdict:
    host: str
    deviation_pct: float | None
    band_pct: float
    outside_band: bool
    p_value: float | None
    uniformity: str | None


def compare_hosts(
    logs: t.Mapping[str, list[float]],
    noise: HostNoise,
    settings: NoiseSettings,
) -> dict[str, HostVerdict]:
    """Each host against the fleet median; Holm over the hosts when noise is measured."""
    if len(logs) < 2:
        return {h: HostVerdict(h, None, 0.0, False, None, None) for h in logs}
    alpha = 1 - settings.confidence
    means = {h: statistics.fmean(v) for h, v in logs.items()}
    variance_of_mean = {h: noise.variance_of(h)[0] / len(v) for h, v in logs.items()} if noise.measured else {}
    diffs = {h: _host_vs_fleet(h, means, variance_of_mean, noise) for h in logs}
    if not noise.measured:
        return {h: HostVerdict(h, percent(d.estimate), settings.default_pct,
                               abs(percent(d.estimate)) > settings.default_pct, None, None)
                for h, d in diffs.items()}
    p_values = {h: d.p_value() for h, d in diffs.items()}
    decisions = holm(p_values, alpha * len(diffs) / comparisons(len(diffs)))
    out = {}
    for host, diff in diffs.items():
        rejected, level = decisions[host]
        band = diff.half_width(level)
        out[host] = HostVerdict(host, percent(diff.estimate), band_percent(band, diff.estimate), rejected,
                                p_values[host], diff.within(settings.uniform_within_pct, alpha))
    return out


def _host_vs_fleet(host: str, means: t.Mapping[str, float], variance_of_mean: t.Mapping[str, float],
                   noise: HostNoise) -> Difference:
    """The host's mean log metric against the fleet median of the hosts' means.

    From four hosts on, the median of the others, so that the host does not pull its own
    reference. With three, the median of the other two would be their mean, and one slow host
    would make the other two look fast: there (and with two) the median of all, host included.
    `means` and `variance_of_mean` are per host, computed once for the fleet (per host they made
    a 1,000-host report quadratic).
    """
    others = [h for h in means if h != host]
    reference_hosts = list(means) if len(others) <= 2 else others
    estimate = means[host] - statistics.median(means[h] for h in reference_hosts)
    if not noise.measured:
        return Difference(estimate, 0.0, 0)
    if len(others) == 1:
        # The median of two is their mean: the estimate is half the gap between them, exactly.
        variance = sum(variance_of_mean.values()) / 4
    else:
        # With the host among the three, its mean and the median move together, and adding their
        # variances overstates the variance of the difference; the median's is bounded as above.
        variance = variance_of_mean[host] + (
            MEDIAN_VARIANCE_FACTOR * statistics.fmean(variance_of_mean[h] for h in reference_hosts) / len(reference_hosts))
    return Difference(estimate, math.sqrt(variance), noise.variance_of(host)[1])


# A slow host among three pulls the median of all three down to the lower of the other two: the
# expected lower of two normal draws lies 1/sqrt(pi) standard deviations below their mean.
_THREE_HOST_MEDIAN_SHIFT = 1 / math.sqrt(math.pi)


def minimum_detectable(noise: HostNoise, settings: NoiseSettings, repeats: int, hosts: int) -> float | None:
    """Log difference from the others one host needs to be flagged with DETECTION_POWER probability
    (at the first Holm step, where a single odd host is judged), or None without measured noise."""
    if not noise.measured or hosts < 2 or repeats < 1:
        return None
    variance = t.cast(float, noise.pooled_variance) / repeats
    shift = 0.0
    if hosts == 2:
        se = math.sqrt(2 * variance)  # the gap itself (the estimate is half of it, see _host_vs_fleet)
    elif hosts == 3:
        se = math.sqrt(variance * (1 + MEDIAN_VARIANCE_FACTOR / 3))
        shift = _THREE_HOST_MEDIAN_SHIFT * math.sqrt(variance)
    else:
        se = math.sqrt(variance * (1 + MEDIAN_VARIANCE_FACTOR / (hosts - 1)))
    return detectable_effect(se, noise.degrees_of_freedom, (1 - settings.confidence) / comparisons(hosts)) + shift


def detectable_effect(standard_error: float, df: int, alpha: float) -> float:
    """The true difference a two-sided t test at `alpha` detects with DETECTION_POWER probability
    (noncentral t, so that the uncertainty of the noise estimate itself is counted)."""
    critical = _t_quantile(1 - alpha / 2, df)
    nct = scipy_stats().nct

    def shortfall(shift: float) -> float:
        return float(nct.sf(critical, df, shift) + nct.cdf(-critical, df, shift)) - DETECTION_POWER

    low, high = 0.0, critical + 10.0
    while shortfall(high) < 0:
        high *= 2
    for _step in range(60):  # bisection: the power rises with the shift
        middle = (low + high) / 2
        low, high = (middle, high) if shortfall(middle) < 0 else (low, middle)
    return high * standard_error


def with_more_repeats(noise: HostNoise, repeats: int, hosts: int) -> HostNoise:
    """The same noise, as it would be measured with `repeats` runs on every host."""
    df = hosts * (repeats - 1)
    return dataclasses.replace(noise, degrees_of_freedom=df)


def outliers(means: t.Mapping[str, float]) -> dict[str, float]:
    """Hosts whose mean log metric lies beyond OUTLIER_MODIFIED_Z from the median, in MADs."""
    if len(means) < 3:
        return {}
    center = statistics.median(means.values())
    deviations = {h: v - center for h, v in means.items()}
    mad = statistics.median(abs(d) for d in deviations.values())
    if mad > 0:
        scale = mad / 0.6745
    else:
        # Half or more of the hosts coincide: fall back on the mean absolute deviation.
        mean_abs = statistics.fmean(abs(d) for d in deviations.values())
        if mean_abs == 0:
            return {}
        scale = mean_abs / 0.7979
    return {h: d / scale for h, d in deviations.items() if abs(d / scale) > OUTLIER_MODIFIED_Z}


def compare_before_after(
    before: t.Mapping[str, list[float]],
    after: t.Mapping[str, list[float]],
    settings: NoiseSettings,
) -> tuple[dict[str, tuple[Difference, float, bool]], HostNoise]:
    """Per host in both runs: (difference after - before, its band, beyond it after Holm)."""
    noise = host_noise({**{("before", h): v for h, v in before.items()},
                        **{("after", h): v for h, v in after.items()}})
    hosts = sorted(set(before) & set(after))
    if not noise.measured:
        # The assumed band is the user's percentage on either side, not a log-symmetric one.
        diffs = {h: Difference(statistics.fmean(after[h]) - statistics.fmean(before[h]), 0.0, 0) for h in hosts}
        return {h: (d, _log_band_for(settings.default_pct, d.estimate), abs(percent(d.estimate)) > settings.default_pct)
                for h, d in diffs.items()}, noise
    diffs = {}
    for host in hosts:
        var_before, df_before = noise.variance_of(("before", host))
        var_after, df_after = noise.variance_of(("after", host))
        se = math.sqrt(var_before / len(before[host]) + var_after / len(after[host]))
        diffs[host] = Difference(statistics.fmean(after[host]) - statistics.fmean(before[host]), se,
                                 min(df_before, df_after))
    decisions = holm({h: d.p_value() for h, d in diffs.items()}, 1 - settings.confidence)
    return {h: (d, d.half_width(decisions[h][1]), decisions[h][0]) for h, d in diffs.items()}, noise


def minimum_detectable_change(noise: HostNoise, settings: NoiseSettings, repeats_before: int, repeats_after: int,
                              hosts: int) -> float | None:
    """Log change one host needs between two runs to be flagged with DETECTION_POWER probability."""
    if not noise.measured or hosts < 1:
        return None
    se = math.sqrt(t.cast(float, noise.pooled_variance) * (1 / repeats_before + 1 / repeats_after))
    return detectable_effect(se, noise.degrees_of_freedom, (1 - settings.confidence) / hosts)
