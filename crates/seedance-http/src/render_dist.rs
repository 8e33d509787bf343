//! The render-time distribution the poller plans with: a conservative prior (a shifted
//! log-normal of the factor, see [`crate::tuning::PRIOR_FLOOR`]) mixed with the renders
//! this client observed, each observation spread evenly (in log time) over the bracket in
//! which it ended. Kept as a CDF table over a log grid of factors, so the poller's
//! questions (a quantile, the chance that a task ended since its last poll) are cheap.

use crate::tuning::{MAX_FACTOR, MIN_FACTOR};

/// Grid points of the CDF table.
const POINTS: usize = 384;

/// A shifted log-normal: `floor + scale × exp(sigma × Z)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Prior {
    pub(crate) floor: f64,
    pub(crate) scale: f64,
    pub(crate) sigma: f64,
}

impl Prior {
    fn cdf(&self, x: f64) -> f64 {
        let (floor, scale, sigma) = (
            self.floor.max(0.0),
            self.scale.max(1e-6),
            self.sigma.max(1e-6),
        );
        if x.is_nan() || x <= floor {
            return 0.0;
        }
        normal_cdf(((x - floor) / scale).ln() / sigma)
    }
}

/// One observed render (factors): it ended after `lo` and by `hi`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Bracket {
    pub(crate) lo: f64,
    pub(crate) hi: f64,
}

impl Bracket {
    /// A bracket within the factor range, `lo < hi`; `None` otherwise.
    pub(crate) fn new(lo: f64, hi: f64) -> Option<Bracket> {
        let ok = lo.is_finite() && hi.is_finite() && lo > 0.0 && hi > lo;
        ok.then(|| Bracket {
            lo: lo.clamp(MIN_FACTOR, MAX_FACTOR),
            hi: hi.clamp(MIN_FACTOR, MAX_FACTOR),
        })
        .filter(|b| b.hi > b.lo)
    }

    fn cdf(&self, x: f64) -> f64 {
        if x <= self.lo {
            0.0
        } else if x >= self.hi {
            1.0
        } else {
            (x / self.lo).ln() / (self.hi / self.lo).ln()
        }
    }
}

/// The distribution of render factors.
#[derive(Clone, Debug)]
pub(crate) struct RenderDist {
    /// `cdf[i]` = P(factor ≤ exp(ln_min + i·step)).
    cdf: Vec<f64>,
    ln_min: f64,
    step: f64,
}

impl RenderDist {
    /// The prior, weighted `weight`, mixed with `observed`.
    pub(crate) fn new(prior: Prior, weight: f64, observed: &[Bracket]) -> RenderDist {
        let ln_min = MIN_FACTOR.ln();
        let step = (MAX_FACTOR.ln() - ln_min) / (POINTS - 1) as f64;
        let w = if weight.is_finite() {
            weight.max(0.0)
        } else {
            0.0
        };
        // with no prior weight and nothing observed, the prior alone
        let w = if w == 0.0 && observed.is_empty() {
            1.0
        } else {
            w
        };
        let total = w + observed.len() as f64;
        let cdf = (0..POINTS)
            .map(|i| {
                let x = (ln_min + i as f64 * step).exp();
                let sum: f64 = observed.iter().map(|b| b.cdf(x)).sum();
                ((w * prior.cdf(x) + sum) / total).clamp(0.0, 1.0)
            })
            .collect();
        RenderDist { cdf, ln_min, step }
    }

    /// P(factor ≤ x).
    pub(crate) fn cdf(&self, x: f64) -> f64 {
        if x.is_nan() || x <= 0.0 {
            return 0.0;
        }
        let pos = (x.ln() - self.ln_min) / self.step;
        if pos <= 0.0 {
            return self.cdf[0];
        }
        let i = pos.floor() as usize;
        if i + 1 >= POINTS {
            return self.cdf[POINTS - 1];
        }
        let f = pos - i as f64;
        self.cdf[i] + f * (self.cdf[i + 1] - self.cdf[i])
    }

    /// The factor at quantile `q`.
    pub(crate) fn quantile(&self, q: f64) -> f64 {
        let q = if q.is_finite() {
            q.clamp(0.0, 1.0)
        } else {
            0.5
        };
        let i = self.cdf.partition_point(|c| *c < q);
        if i == 0 {
            return MIN_FACTOR;
        }
        if i >= POINTS {
            return MAX_FACTOR;
        }
        let (a, b) = (self.cdf[i - 1], self.cdf[i]);
        let f = if b > a { (q - a) / (b - a) } else { 0.0 };
        (self.ln_min + (i as f64 - 1.0 + f) * self.step).exp()
    }

    /// The chance that a task that was still running at factor `since` has ended by
    /// factor `now`: the hazard the poller ranks due tasks by.
    pub(crate) fn ended_since(&self, since: f64, now: f64) -> f64 {
        let s0 = 1.0 - self.cdf(since);
        let s1 = 1.0 - self.cdf(now);
        if s0 <= 1e-12 {
            // past everything ever seen: a stuck task, as unlikely as any to end now
            return 0.0;
        }
        ((s0 - s1) / s0).clamp(0.0, 1.0)
    }
}

/// The standard normal CDF (Abramowitz–Stegun 7.1.26 for erf, |error| < 1.5e-7).
fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tuning::*;

    fn prior() -> Prior {
        Prior {
            floor: PRIOR_FLOOR,
            scale: PRIOR_SCALE,
            sigma: PRIOR_SIGMA,
        }
    }

    #[test]
    fn the_prior_is_wide_and_centred_on_the_model() {
        let d = RenderDist::new(prior(), PRIOR_WEIGHT, &[]);
        assert!((d.quantile(0.5) - 1.0).abs() < 0.02, "{}", d.quantile(0.5));
        assert!(d.quantile(0.02) > 0.5 && d.quantile(0.02) < 0.62);
        assert!(d.quantile(0.95) > 2.3 && d.quantile(0.95) < 2.7);
        assert_eq!(d.cdf(0.4), 0.0, "nothing below the floor");
        // monotone quantiles, and cdf(quantile(q)) ≈ q
        for q in [0.1, 0.3, 0.5, 0.7, 0.9, 0.99] {
            assert!((d.cdf(d.quantile(q)) - q).abs() < 0.01, "{q}");
        }
    }

    #[test]
    fn observations_replace_the_prior_as_they_accumulate() {
        // every render observed between 0.9× and 1.0×
        let seen: Vec<Bracket> = (0..60).map(|_| Bracket::new(0.9, 1.0).unwrap()).collect();
        let d = RenderDist::new(prior(), PRIOR_WEIGHT, &seen);
        assert!(d.quantile(0.5) > 0.9 && d.quantile(0.5) < 1.0);
        assert!(
            d.quantile(0.02) > 0.6,
            "the early range is no longer plausible"
        );
        // a task running at 0.9× has most likely ended by 1.0×
        assert!(d.ended_since(0.9, 1.0) > 0.8);
        // and one still running at 1.2× is an outlier: the prior's tail speaks for it
        assert!(d.ended_since(1.2, 1.3) < 0.5);
    }

    #[test]
    fn hazard_is_a_probability_and_grows_with_time() {
        let d = RenderDist::new(prior(), PRIOR_WEIGHT, &[]);
        let a = d.ended_since(0.8, 0.9);
        let b = d.ended_since(0.8, 1.5);
        assert!(0.0 < a && a < b && b <= 1.0, "{a} {b}");
        assert_eq!(d.ended_since(1.0, 1.0), 0.0);
        assert_eq!(d.ended_since(0.0, 0.3), 0.0, "nothing ends below the floor");
        assert_eq!(d.ended_since(MAX_FACTOR * 2.0, MAX_FACTOR * 3.0), 0.0);
    }

    #[test]
    fn brackets_outside_the_range_are_refused() {
        assert!(Bracket::new(1.0, 0.9).is_none());
        assert!(Bracket::new(0.0, 0.9).is_none());
        assert!(Bracket::new(f64::NAN, 0.9).is_none());
        assert!(
            Bracket::new(100.0, 200.0).is_none(),
            "both clamp to the cap"
        );
        assert_eq!(Bracket::new(0.5, 100.0).unwrap().hi, MAX_FACTOR);
    }
}
