//! The emulator's one set of command-line flags: the `seedance-emulator` binary parses
//! them, and the CLI's `seedance emulator` takes the very same struct as its arguments.

use std::net::SocketAddr;

use seedance_core::rules::{RateLimit, TimeScale};

use crate::config::Redirect;
use crate::render::RenderSpread;
use crate::server::EmulatorBuilder;

/// Flags of `seedance-emulator` and `seedance emulator` (one struct, so the two front
/// doors cannot drift). Limits are the server's, written `N/WINDOW` as everywhere else.
///
/// ```
/// use clap::Parser;
/// use seedance_emulator::EmulatorArgs;
/// let args = EmulatorArgs::try_parse_from(["seedance-emulator", "--limit", "off", "--time-scale", "1000"])?;
/// assert_eq!(args.rate_limit(), None);
/// assert_eq!(args.time_scale.get(), 1000.0);
/// let _builder = args.builder()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, clap::Parser)]
#[command(
    name = "seedance-emulator",
    about = "A local Seedance 2 Video API server (API + CDN) for offline work and tests",
    long_about = None
)]
#[non_exhaustive]
pub struct EmulatorArgs {
    /// Address of the API listener (`127.0.0.1:0` picks a free port).
    #[arg(
        long,
        visible_alias = "listen",
        value_name = "ADDR",
        env = "SEEDANCE_EMULATOR_ADDR",
        hide_env_values = true,
        default_value = "127.0.0.1:8787"
    )]
    pub addr: SocketAddr,

    /// Address of the CDN listener that serves outputs [default: the API's port + 1, or a
    /// free port when the API's is 0].
    #[arg(
        long,
        value_name = "ADDR",
        visible_alias = "cdn-listen",
        env = "SEEDANCE_EMULATOR_CDN_ADDR",
        hide_env_values = true
    )]
    pub cdn_addr: Option<SocketAddr>,

    /// Divide simulated render times by this (1 = realistic, 1–5 minutes; 100 = about a
    /// second).
    #[arg(
        long,
        value_name = "FACTOR",
        env = "SEEDANCE_EMULATOR_TIME_SCALE",
        hide_env_values = true,
        default_value_t = TimeScale::REAL_TIME,
        value_parser = parse_time_scale
    )]
    pub time_scale: TimeScale,

    /// Turn the account's rate limit off (same as `--limit off`).
    // `--no-rate-limit`, its old name, still works (hidden).
    #[arg(long, alias = "no-rate-limit", conflicts_with = "limit")]
    pub no_limit: bool,

    /// The account's rate limit, `N/WINDOW` or `off` [default: the API's].
    #[arg(long, value_name = "N/WINDOW", value_parser = parse_limit,
          help = format!("The account's rate limit, N/WINDOW or `off` [default: {}, the API's]", RateLimit::ACCOUNT))]
    pub limit: Option<LimitArg>,

    /// Turn the reference-media limit off (same as `--media-limit off`).
    // `--no-media-rate-limit`, its old name, still works (hidden).
    #[arg(long, alias = "no-media-rate-limit", conflicts_with = "media_limit")]
    pub no_media_limit: bool,

    /// The reference-media limit, `N/WINDOW` or `off` [default: the API's].
    #[arg(long, value_name = "N/WINDOW", value_parser = parse_limit,
          help = format!("The reference-media limit, N/WINDOW or `off` [default: {}, the API's]", RateLimit::MEDIA))]
    pub media_limit: Option<LimitArg>,

    /// Starting credits of the default account.
    #[arg(long, value_name = "N", default_value_t = crate::config::DEFAULT_CREDITS)]
    pub credits: u64,

    /// Probability (0–1) that a render fails (credits refunded).
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = parse_probability)]
    pub failure_probability: f64,

    /// Answer API requests with a 307 to `www.` + host, as the production apex does.
    #[arg(long)]
    pub redirect_www: bool,

    /// How render times spread around the model: `none` (exact), `realistic` (p5 0.75×,
    /// median 1×, p95 2.4×, a long tail) or `P5,MEDIAN,P95` factors.
    #[arg(long, value_name = "SPREAD", default_value = "realistic", value_parser = parse_spread)]
    pub render_spread: RenderSpread,

    /// Seed of the render-time draws [default: random].
    #[arg(long, value_name = "N")]
    pub render_seed: Option<u64>,

    /// Render at most N tasks of one account at once; later ones queue [default: no queue].
    #[arg(long, value_name = "N")]
    pub render_queue: Option<u32>,
}

/// `--render-spread`'s parser.
///
/// ```
/// assert!(seedance_emulator::parse_spread("realistic").is_ok());
/// assert!(seedance_emulator::parse_spread("fast").is_err());
/// ```
pub fn parse_spread(s: &str) -> Result<RenderSpread, String> {
    RenderSpread::parse(s).map_err(|e| e.to_string())
}

/// A value of `--limit` / `--media-limit`: a limit, or `off` (`LimitArg(None)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitArg(pub Option<RateLimit>);

/// `--limit` / `--media-limit`: the core's one `N/WINDOW` parser.
fn parse_limit(s: &str) -> Result<LimitArg, String> {
    RateLimit::parse(s).map(LimitArg)
}

/// `--time-scale`: the core's validated type.
fn parse_time_scale(s: &str) -> Result<TimeScale, String> {
    s.parse::<TimeScale>().map_err(|e| e.to_string())
}

fn parse_probability(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("{s:?} is not a probability from 0 to 1")),
    }
}

impl EmulatorArgs {
    /// The CDN's address: `--cdn-addr`, else the API's port + 1 (a free port when the
    /// API's is 0).
    pub fn cdn_addr(&self) -> SocketAddr {
        self.cdn_addr.unwrap_or_else(|| {
            let port = match self.addr.port() {
                0 => 0,
                p => p.wrapping_add(1),
            };
            SocketAddr::new(self.addr.ip(), port)
        })
    }

    /// The account limit these flags set (`None`: off).
    pub fn rate_limit(&self) -> Option<RateLimit> {
        if self.no_limit {
            None
        } else {
            self.limit.map_or(Some(RateLimit::ACCOUNT), |l| l.0)
        }
    }

    /// The reference-media limit these flags set (`None`: off).
    pub fn media_rate_limit(&self) -> Option<RateLimit> {
        if self.no_media_limit {
            None
        } else {
            self.media_limit.map_or(Some(RateLimit::MEDIA), |l| l.0)
        }
    }

    /// The builder these flags describe. Every flag is checked when it is parsed, so this
    /// does not fail today; the `Result` leaves room for checks across flags.
    pub fn builder(&self) -> Result<EmulatorBuilder, String> {
        let mut b = EmulatorBuilder::default()
            .bind(self.addr)
            .cdn_bind(self.cdn_addr())
            .time_scale(self.time_scale)
            .failure_probability(self.failure_probability)
            .default_credits(self.credits)
            .render_spread(self.render_spread.clone())
            .render_seed(self.render_seed)
            .render_queue(self.render_queue);
        b = match self.rate_limit() {
            Some(l) => b.rate_limit(l.requests, l.window),
            None => b.no_rate_limit(),
        };
        b = match self.media_rate_limit() {
            Some(l) => b.media_rate_limit(l.requests, l.window),
            None => b.no_media_rate_limit(),
        };
        if self.redirect_www {
            b = b.redirect(Some(Redirect::ApexToWww));
        }
        Ok(b)
    }
}
