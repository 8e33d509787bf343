//! Command-line flags of the emulator (the `seedance-emulator` binary; the CLI flattens
//! them into `seedance emulator`).

use std::net::SocketAddr;
use std::time::Duration;

use crate::config::Redirect;
use crate::render::RenderSpread;
use crate::server::EmulatorBuilder;

/// Flags of `seedance-emulator` / `seedance emulator`.
///
/// ```
/// use clap::Parser;
/// use seedance_emulator::EmulatorArgs;
/// let args = EmulatorArgs::try_parse_from(["seedance-emulator", "--no-rate-limit", "--time-scale", "1000"])?;
/// assert!(args.no_rate_limit);
/// let _builder = args.into_builder();
/// # Ok::<(), clap::Error>(())
/// ```
#[derive(Clone, Debug, clap::Parser)]
#[command(
    name = "seedance-emulator",
    about = "A local Seedance 2 Video API server (API + CDN) for offline work and tests"
)]
#[non_exhaustive]
pub struct EmulatorArgs {
    /// Address of the API listener.
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
    /// Address of the CDN listener (serves outputs); port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:8788")]
    pub cdn_listen: SocketAddr,
    /// Divide simulated render times by this (1 = realistic, about 1-5 minutes).
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// Turn the 30-per-60-s account limit off.
    #[arg(long)]
    pub no_rate_limit: bool,
    /// Account limit: requests per window.
    #[arg(long, default_value_t = seedance_core::rules::RATE_LIMIT_REQUESTS)]
    pub rate_limit: u32,
    /// Account limit window, seconds.
    #[arg(long, default_value_t = seedance_core::rules::RATE_LIMIT_WINDOW_SECS as f64)]
    pub rate_window_secs: f64,
    /// Turn the 3-per-60-s reference-media limit off.
    #[arg(long)]
    pub no_media_rate_limit: bool,
    /// Probability (0-1) that a task fails (credits refunded).
    #[arg(long, default_value_t = 0.0)]
    pub failure_probability: f64,
    /// Starting balance of the default account.
    #[arg(long, default_value_t = crate::DEFAULT_CREDITS)]
    pub credits: u64,
    /// Answer API requests with 307 to `www.` + host (as the production apex does).
    #[arg(long)]
    pub redirect_www: bool,
    /// How render times spread around the model: `none` (exact), `realistic` (p5 0.75x,
    /// median 1x, p95 2.4x, long tail) or P5,MEDIAN,P95 factors.
    #[arg(long, default_value = "realistic", value_parser = parse_spread)]
    pub render_spread: RenderSpread,
    /// Seed of the render-time draws [default: random].
    #[arg(long, value_name = "N")]
    pub render_seed: Option<u64>,
    /// Render at most N tasks of one account at once; later ones queue [default: no queue].
    #[arg(long, value_name = "N")]
    pub render_queue: Option<u32>,
}

/// `--render-spread`'s parser (also used by the CLI's `seedance emulator`).
///
/// ```
/// assert!(seedance_emulator::parse_spread("realistic").is_ok());
/// assert!(seedance_emulator::parse_spread("fast").is_err());
/// ```
pub fn parse_spread(s: &str) -> Result<RenderSpread, String> {
    RenderSpread::parse(s).map_err(|e| e.to_string())
}

impl EmulatorArgs {
    /// The builder these flags describe.
    pub fn into_builder(self) -> EmulatorBuilder {
        let mut b = EmulatorBuilder::default()
            .bind(self.listen)
            .cdn_bind(self.cdn_listen)
            .time_scale(self.time_scale)
            .failure_probability(self.failure_probability)
            .default_credits(self.credits)
            .render_spread(self.render_spread)
            .render_seed(self.render_seed)
            .render_queue(self.render_queue);
        let window =
            Duration::try_from_secs_f64(self.rate_window_secs).unwrap_or(Duration::from_secs(60));
        b = if self.no_rate_limit {
            b.no_rate_limit()
        } else {
            b.rate_limit(self.rate_limit, window)
        };
        if self.no_media_rate_limit {
            b = b.no_media_rate_limit();
        }
        if self.redirect_www {
            b = b.redirect(Some(Redirect::ApexToWww));
        }
        b
    }
}
