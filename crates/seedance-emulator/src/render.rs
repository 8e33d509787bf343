//! Render times: drawn per task from a seeded distribution around the core's model
//! ([`RenderSpread`]), optionally queued behind the account's other tasks
//! ([`RuntimeConfig::render_queue`](crate::RuntimeConfig::render_queue)), and the per-task
//! record that tests and benchmarks read back ([`TaskTiming`]).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::errors::ControlError;

/// The standard normal quantile of 0.95 (p5 and p95 are this many σ from the median).
const Z95: f64 = 1.644_853_626_951_472_2;

/// The largest factor a draw may reach (a runaway draw of the tail is capped here).
pub const MAX_RENDER_FACTOR: f64 = 12.0;

/// How a task's render time spreads around the core's model
/// (`seedance_core::expected_render_secs`): the render time is `model × factor`, with
/// `factor` drawn per task.
///
/// The distributions are *shifted log-normal*: `factor = floor + scale × exp(σ·Z)`,
/// `Z ~ N(0, 1)`, capped at [`MAX_RENDER_FACTOR`], given by three quantiles (p5, median, p95)
/// from which `floor`, `scale` and `σ` follow exactly. A shifted log-normal has a hard
/// minimum (no render is quicker than `floor × model`) and a long right tail, as the spec's
/// measurements do (a 5 s clip: 83–253 s, median about 105 s, i.e. 0.79×–2.4× the median).
///
/// | spread | p5 | median | p95 | p99 | p99.9 | minimum |
/// |---|---|---|---|---|---|---|
/// | [`None`](RenderSpread::None) | 1× | 1× | 1× | 1× | 1× | 1× |
/// | [`Realistic`](RenderSpread::Realistic) (the front doors' default) | 0.75× | 1× | 2.4× | ≈ 4.2× | ≈ 8.4× | ≈ 0.70× |
///
/// JSON (`render_spread` of `POST /_emulator/config`): `"none"`, `"realistic"` or
/// `{"quantiles": {"p5": 0.8, "median": 1.0, "p95": 1.6}}`.
///
/// ```
/// use seedance_emulator::RenderSpread;
/// let s = RenderSpread::parse("0.8,1,1.6")?;
/// assert_eq!(s, RenderSpread::Quantiles { p5: 0.8, median: 1.0, p95: 1.6 });
/// assert_eq!(RenderSpread::parse("none")?, RenderSpread::None);
/// assert!(RenderSpread::parse("1,1,0.5").is_err());
/// # Ok::<(), seedance_emulator::ControlError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RenderSpread {
    /// Exactly the model's time (deterministic tests). The builder's default.
    #[default]
    None,
    /// The realistic heavy-tailed default of `seedance emulator`, `seedance demo` and the
    /// `seedance-emulator` binary: p5 0.75×, median 1×, p95 2.4× (see the table).
    Realistic,
    /// A shifted log-normal through these quantiles of the factor (`p5 < median < p95`,
    /// with the longer side on the right: `p95 − median > median − p5`).
    Quantiles {
        /// 5th percentile of the factor.
        p5: f64,
        /// Median of the factor.
        median: f64,
        /// 95th percentile of the factor.
        p95: f64,
    },
}

impl RenderSpread {
    /// Parses `none`, `realistic` or `P5,MEDIAN,P95` (the flag's format).
    pub fn parse(s: &str) -> Result<RenderSpread, ControlError> {
        let t = s.trim();
        let spread = match t.to_ascii_lowercase().as_str() {
            "none" | "exact" | "off" => RenderSpread::None,
            "realistic" | "default" => RenderSpread::Realistic,
            _ => {
                let parts: Vec<&str> = t.split(',').map(str::trim).collect();
                let nums: Vec<f64> = parts.iter().filter_map(|p| p.parse().ok()).collect();
                if parts.len() != 3 || nums.len() != 3 {
                    return Err(ControlError::new(format!(
                        "render spread {s:?}: expected none, realistic or P5,MEDIAN,P95 (e.g. 0.75,1,2.4)"
                    )));
                }
                RenderSpread::Quantiles {
                    p5: nums[0],
                    median: nums[1],
                    p95: nums[2],
                }
            }
        };
        spread.check()?;
        Ok(spread)
    }

    /// An error unless the quantiles describe a shifted log-normal.
    pub(crate) fn check(&self) -> Result<(), ControlError> {
        self.shape().map(|_| ())
    }

    /// `(floor, scale, sigma)`, or `None` for the exact spread.
    fn shape(&self) -> Result<Option<(f64, f64, f64)>, ControlError> {
        let (p5, median, p95) = match self {
            RenderSpread::None => return Ok(None),
            RenderSpread::Realistic => (0.75, 1.0, 2.4),
            RenderSpread::Quantiles { p5, median, p95 } => (*p5, *median, *p95),
        };
        let ok = [p5, median, p95].iter().all(|x| x.is_finite() && *x > 0.0)
            && p5 < median
            && median < p95
            && p95 - median > median - p5;
        if !ok {
            return Err(ControlError::new(format!(
                "render spread {p5},{median},{p95}: needs 0 < p5 < median < p95 with the long side on the right (p95 - median > median - p5)"
            )));
        }
        // floor + scale·u = p95, floor + scale/u = p5, floor + scale = median.
        let u = (p95 - median) / (median - p5);
        let scale = (p95 - median) / (u - 1.0);
        let floor = median - scale;
        let sigma = u.ln() / Z95;
        Ok(Some((floor, scale, sigma)))
    }

    /// The factor for a standard normal draw `z`.
    fn factor(&self, z: f64) -> f64 {
        match self.shape() {
            Ok(Some((floor, scale, sigma))) => {
                (floor + scale * (sigma * z).exp()).clamp(0.01, MAX_RENDER_FACTOR)
            }
            _ => 1.0,
        }
    }

    /// The factor at quantile `q` (0 < q < 1) of this spread (for documentation and tests).
    ///
    /// ```
    /// use seedance_emulator::RenderSpread;
    /// let r = RenderSpread::Realistic;
    /// assert!((r.quantile(0.5) - 1.0).abs() < 1e-9);
    /// assert!((r.quantile(0.95) - 2.4).abs() < 1e-6);
    /// assert!((r.quantile(0.05) - 0.75).abs() < 1e-6);
    /// ```
    pub fn quantile(&self, q: f64) -> f64 {
        self.factor(normal_quantile(q))
    }
}

/// A short description of a spread for banners (`none`, `realistic (p5 0.75x, median 1x,
/// p95 2.4x)`, `p5 0.8x, median 1x, p95 1.6x`).
pub fn describe(spread: &RenderSpread) -> String {
    let q = |s: &RenderSpread| {
        format!(
            "p5 {:.2}x, median {:.2}x, p95 {:.2}x",
            s.quantile(0.05),
            s.quantile(0.5),
            s.quantile(0.95)
        )
    };
    match spread {
        RenderSpread::None => "none (exactly the model)".to_owned(),
        RenderSpread::Realistic => format!("realistic ({})", q(spread)),
        other => q(other),
    }
}

/// Per-task timing the emulator records (`GET /_emulator/tasks`, field `timing`;
/// [`crate::Emulator::task_timings`]). Times are real (scaled) milliseconds since the task
/// was created.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), seedance_emulator::Error> {
/// let emu = seedance_emulator::Emulator::builder().start().await?;
/// assert!(emu.task_timings().is_empty());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TaskTiming {
    /// The task id.
    pub id: String,
    /// The account it belongs to.
    pub account: String,
    /// The core's model for this request, scaled (what `none` would render in).
    pub model_ms: f64,
    /// The drawn render time (model × factor), scaled.
    pub render_ms: f64,
    /// Time spent queued behind the account's other tasks before rendering started.
    pub queued_ms: f64,
    /// When the task ends (`queued_ms + render_ms`).
    pub done_ms: f64,
    /// When a `GET /api/v1/tasks/{id}` first answered it completed or failed (`None`: not
    /// yet).
    pub first_seen_done_ms: Option<f64>,
    /// How many `GET /api/v1/tasks/{id}` answered this task (including the one that first
    /// saw it done and any after).
    pub polls: u64,
}

/// Timing state of one task (kept in its record).
#[derive(Clone, Debug)]
pub(crate) struct Timing {
    pub(crate) model: Duration,
    pub(crate) render: Duration,
    pub(crate) queued: Duration,
    pub(crate) first_seen_done: Option<Duration>,
    pub(crate) polls: u64,
}

impl Timing {
    /// From creation to the end (queue + render).
    pub(crate) fn done_after(&self) -> Duration {
        self.queued + self.render
    }
}

/// The render planner: a seeded generator and, per account, when each of its render
/// slots frees (for [`RuntimeConfig::render_queue`](crate::RuntimeConfig::render_queue)).
#[derive(Debug)]
pub(crate) struct Planner {
    rng: fastrand::Rng,
    slots: HashMap<String, BinaryHeap<Reverse<Instant>>>,
}

impl Planner {
    pub(crate) fn new(seed: Option<u64>) -> Planner {
        Planner {
            rng: seed.map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed),
            slots: HashMap::new(),
        }
    }

    /// Plans a task created `now`: draws its render time around `model` and, when the
    /// account renders at most `queue` tasks at once, queues it behind the others (a
    /// first-come multi-server queue: it starts when the earliest of the account's slots
    /// frees).
    pub(crate) fn plan(
        &mut self,
        spread: &RenderSpread,
        queue: Option<u32>,
        account: &str,
        model: Duration,
        now: Instant,
    ) -> Timing {
        let factor = match spread {
            RenderSpread::None => 1.0,
            s => s.factor(self.standard_normal()),
        };
        let render = model.mul_f64(factor);
        let mut queued = Duration::ZERO;
        if let Some(cap) = queue.filter(|c| *c > 0) {
            let heap = self.slots.entry(account.to_owned()).or_default();
            while heap.len() > cap as usize {
                heap.pop();
            }
            let start = if heap.len() < cap as usize {
                now
            } else {
                heap.pop().map_or(now, |Reverse(free)| free.max(now))
            };
            queued = start.saturating_duration_since(now);
            heap.push(Reverse(start + render));
        }
        Timing {
            model,
            render,
            queued,
            first_seen_done: None,
            polls: 0,
        }
    }

    /// A standard normal draw (Box–Muller).
    fn standard_normal(&mut self) -> f64 {
        let u1 = self.rng.f64().max(f64::MIN_POSITIVE);
        let u2 = self.rng.f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// The standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9).
fn normal_quantile(p: f64) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.024_25 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.024_25 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realistic_spread_has_the_documented_shape() {
        let r = RenderSpread::Realistic;
        let mut p = Planner::new(Some(7));
        let model = Duration::from_secs(100);
        let now = Instant::now();
        let mut f: Vec<f64> = (0..20_000)
            .map(|_| p.plan(&r, None, "a", model, now).render.as_secs_f64() / 100.0)
            .collect();
        f.sort_by(f64::total_cmp);
        let q = |x: f64| f[((f.len() as f64) * x) as usize];
        assert!((q(0.05) - 0.75).abs() < 0.02, "p5 {}", q(0.05));
        assert!((q(0.5) - 1.0).abs() < 0.03, "median {}", q(0.5));
        assert!((q(0.95) - 2.4).abs() < 0.15, "p95 {}", q(0.95));
        assert!(q(0.99) > 3.5, "p99 {}", q(0.99));
        assert!(f[0] >= 0.69, "min {}", f[0]);
        assert!(f[f.len() - 1] <= MAX_RENDER_FACTOR);
        assert!((r.quantile(0.99) - 4.2).abs() < 0.1, "{}", r.quantile(0.99));
        assert!(
            (r.quantile(0.999) - 8.4).abs() < 0.2,
            "{}",
            r.quantile(0.999)
        );
    }

    #[test]
    fn same_seed_same_draws_and_none_is_exact() {
        let now = Instant::now();
        let m = Duration::from_secs(100);
        let draws = |seed| {
            let mut p = Planner::new(Some(seed));
            (0..5)
                .map(|_| p.plan(&RenderSpread::Realistic, None, "a", m, now).render)
                .collect::<Vec<_>>()
        };
        assert_eq!(draws(1), draws(1));
        assert_ne!(draws(1), draws(2));
        let mut p = Planner::new(None);
        assert_eq!(p.plan(&RenderSpread::None, None, "a", m, now).render, m);
    }

    #[test]
    fn a_queue_delays_starts_per_account() {
        let now = Instant::now();
        let m = Duration::from_secs(10);
        let mut p = Planner::new(Some(1));
        let q: Vec<Duration> = (0..5)
            .map(|_| p.plan(&RenderSpread::None, Some(2), "a", m, now).queued)
            .collect();
        let s = Duration::from_secs;
        assert_eq!(q, [s(0), s(0), s(10), s(10), s(20)]);
        // another account has its own slots
        assert_eq!(
            p.plan(&RenderSpread::None, Some(2), "b", m, now).queued,
            s(0)
        );
        // a slot freed by then: no wait
        let later = now + s(100);
        assert_eq!(
            p.plan(&RenderSpread::None, Some(2), "a", m, later).queued,
            s(0)
        );
    }

    #[test]
    fn quantiles_parse_and_refuse_bad_shapes() {
        assert_eq!(
            RenderSpread::parse("realistic").ok(),
            Some(RenderSpread::Realistic)
        );
        let s = RenderSpread::parse("0.9, 1, 1.5").unwrap();
        assert!((s.quantile(0.95) - 1.5).abs() < 1e-6);
        for bad in ["", "1,2", "a,b,c", "0.5,1,1.2", "1,1,2", "0,1,3", "2,1,3"] {
            assert!(RenderSpread::parse(bad).is_err(), "{bad}");
        }
    }
}
