//! When a task is worth a poll, from the render-time distribution: a geometric grid of
//! factors (elapsed ÷ expected) from early in the plausible range, each point `ratio`
//! times the last, so a render is seen at most `ratio − 1` of its time late while the
//! budget is free; and, when the budget binds, the chance each due task ended since its
//! last poll, to give each free slot to the task most likely done.

use std::time::Duration;

use crate::options::PollSchedule;
use crate::render_dist::RenderDist;

fn ratio(s: &PollSchedule) -> f64 {
    if s.ratio.is_finite() && s.ratio > 1.0 {
        s.ratio
    } else {
        crate::tuning::RATIO
    }
}

/// The factor of the first poll: `ratio ×` the distribution's `first_quantile`.
pub(crate) fn first_factor(s: &PollSchedule, dist: &RenderDist) -> f64 {
    dist.quantile(s.first_quantile) * ratio(s)
}

/// Real (scaled) time from the start of the render to the first poll.
pub(crate) fn first_delay(s: &PollSchedule, dist: &RenderDist, expected: Duration) -> Duration {
    let d = expected.as_secs_f64() * first_factor(s, dist);
    Duration::try_from_secs_f64(d)
        .unwrap_or(expected)
        .max(s.scaled(s.min_interval))
}

/// Real (scaled) time from a poll at `elapsed` that found the task running to the next:
/// `elapsed × (ratio − 1)`, within the schedule's interval bounds.
pub(crate) fn next_delay(s: &PollSchedule, elapsed: Duration) -> Duration {
    let gap = elapsed.as_secs_f64() * (ratio(s) - 1.0);
    let lo = s.scaled(s.min_interval);
    let hi = s.scaled(s.max_interval).max(lo);
    Duration::try_from_secs_f64(gap).unwrap_or(hi).clamp(lo, hi)
}

/// The rank of a due task: the chance it ended between its last running sight (`since`,
/// factor) and now (`now`, factor).
pub(crate) fn score(dist: &RenderDist, since: f64, now: f64) -> f64 {
    dist.ended_since(since, now)
}

// The schedule's own formulas, beside the type they read (its fields are in `options`).
impl PollSchedule {
    /// Delay from the submit to the first poll of a render expected to take `expected`
    /// (model time), for a client that has learned nothing yet (scaled).
    pub fn first_poll(&self, expected: Duration) -> Duration {
        first_delay(self, &self.prior_dist(), self.scaled(expected))
    }

    /// Delay after a poll that found the task running `elapsed` (model time) after its
    /// submit, while the budget is free (scaled).
    pub fn next_poll(&self, elapsed: Duration) -> Duration {
        next_delay(self, self.scaled(elapsed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render_dist::{Bracket, Prior};
    use crate::tuning;
    use seedance_core::rules::TimeScale;

    fn prior_dist(s: &PollSchedule) -> RenderDist {
        RenderDist::new(
            Prior {
                floor: s.prior_floor,
                scale: s.prior_scale,
                sigma: s.prior_sigma,
            },
            s.prior_weight,
            &[],
        )
    }

    /// The polls a free budget makes for a render of `render` × expected (1 s).
    fn polls_until(s: &PollSchedule, dist: &RenderDist, render: f64) -> (u32, f64) {
        let expected = Duration::from_secs(1);
        let mut t = first_delay(s, dist, expected).as_secs_f64();
        let mut n = 1;
        while t < render {
            t += next_delay(s, Duration::from_secs_f64(t)).as_secs_f64();
            n += 1;
        }
        (n, (t - render) / render)
    }

    #[test]
    fn a_free_budget_sees_every_plausible_render_within_the_ratio() {
        // min/max intervals out of the way (expected 1 s)
        let s = PollSchedule {
            min_interval: Duration::ZERO,
            max_interval: Duration::from_secs(3600),
            ..PollSchedule::default()
        };
        let d = prior_dist(&s);
        let first = first_factor(&s, &d);
        assert!(first > 0.55 && first < 0.7, "early in the range: {first}");
        for render in [first * 1.001, 0.75, 1.0, 1.3, 2.4, 4.0, 8.0] {
            let (_, late) = polls_until(&s, &d, render);
            assert!(late <= tuning::RATIO - 1.0 + 1e-9, "{render}: {late}");
        }
        // about ln(range)/ln(ratio) polls: a median render in ≤ 8
        assert!(polls_until(&s, &d, 1.0).0 <= 8);
    }

    #[test]
    fn a_learned_profile_starts_later_and_polls_less() {
        let s = PollSchedule {
            min_interval: Duration::ZERO,
            ..PollSchedule::default()
        };
        let cold = prior_dist(&s);
        let seen: Vec<Bracket> = (0..100)
            .map(|i| {
                let f = 0.8 + 0.4 * f64::from(i) / 100.0;
                Bracket::new(f, f * 1.05).unwrap()
            })
            .collect();
        let prior = Prior {
            floor: s.prior_floor,
            scale: s.prior_scale,
            sigma: s.prior_sigma,
        };
        let warm = RenderDist::new(prior, s.prior_weight, &seen);
        assert!(first_factor(&s, &warm) > first_factor(&s, &cold) + 0.1);
        assert!(polls_until(&s, &warm, 1.0).0 < polls_until(&s, &cold, 1.0).0);
    }

    #[test]
    fn intervals_stay_within_their_bounds() {
        let s = PollSchedule::default().time_scale(TimeScale::new(10.0).unwrap());
        assert_eq!(
            next_delay(&s, Duration::from_secs(1)),
            Duration::from_millis(200)
        );
        assert_eq!(
            next_delay(&s, Duration::from_secs(10_000)),
            Duration::from_secs(3)
        );
        let mid = next_delay(&s, Duration::from_secs(20)).as_secs_f64();
        assert!((mid - 20.0 * (tuning::RATIO - 1.0)).abs() < 1e-6, "{mid}");
    }
}
