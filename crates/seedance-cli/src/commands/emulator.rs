//! `seedance emulator`: serves the local emulator until Ctrl-C.

use std::net::SocketAddr;

use seedance_emulator::{Emulator, EmulatorBuilder, Redirect};
use serde_json::json;

use crate::cli::{EmulatorArgs, RateArg};
use crate::error::CliError;
use crate::ui::Ui;

/// The builder the flags describe.
pub fn builder(a: &EmulatorArgs) -> Result<EmulatorBuilder, CliError> {
    if !(a.time_scale.is_finite() && a.time_scale > 0.0) {
        return Err(CliError::usage(format!(
            "--time-scale {}: must be above 0",
            a.time_scale
        )));
    }
    if !(0.0..=1.0).contains(&a.failure_probability) {
        return Err(CliError::usage(format!(
            "--failure-probability {}: must be between 0 and 1",
            a.failure_probability
        )));
    }
    let cdn = a.cdn_addr.unwrap_or_else(|| {
        let port = if a.addr.port() == 0 {
            0
        } else {
            a.addr.port().wrapping_add(1)
        };
        SocketAddr::new(a.addr.ip(), port)
    });
    let mut b = Emulator::builder()
        .bind(a.addr)
        .cdn_bind(cdn)
        .time_scale(a.time_scale)
        .failure_probability(a.failure_probability)
        .render_spread(a.render_spread.clone())
        .render_seed(a.render_seed)
        .render_queue(a.render_queue);
    if let Some(c) = a.credits {
        b = b.default_credits(c);
    }
    if a.no_rate_limit || a.limit == Some(RateArg::Off) {
        b = b.no_rate_limit();
    } else if let Some(RateArg::Limit(n, w)) = a.limit {
        b = b.rate_limit(n, w);
    }
    if a.no_media_rate_limit || a.media_limit == Some(RateArg::Off) {
        b = b.no_media_rate_limit();
    } else if let Some(RateArg::Limit(n, w)) = a.media_limit {
        b = b.media_rate_limit(n, w);
    }
    if a.redirect_www {
        b = b.redirect(Some(Redirect::ApexToWww));
    }
    Ok(b)
}

fn describe(l: Option<seedance_emulator::RateLimit>) -> String {
    match l {
        Some(l) => format!("{}/{}s", l.requests, l.window.as_secs_f64()),
        None => "off".into(),
    }
}

/// `seedance emulator`.
pub async fn run(a: &EmulatorArgs, ui: &Ui) -> Result<(), CliError> {
    let emu = builder(a)?
        .start()
        .await
        .map_err(|e| CliError::local(format!("the emulator could not start: {e}")))?;
    let cfg = emu.config();
    if ui.is_json() {
        ui.json(&json!({
            "base_url": emu.base_url(), "cdn_url": emu.cdn_url(), "api_key": emu.api_key(),
            "account": seedance_emulator::DEFAULT_ACCOUNT, "time_scale": cfg.time_scale,
            "rate_limit": describe(cfg.rate_limit), "media_rate_limit": describe(cfg.media_rate_limit),
            "control": format!("{}/_emulator/stats", emu.base_url()),
            "render_spread": cfg.render_spread,
        }));
    } else {
        let scale = cfg.time_scale;
        let lines = [
            "Seedance emulator running (a local stand-in for the API: nothing leaves this machine)".to_owned(),
            format!("  API:        {}", emu.base_url()),
            format!("  CDN:        {}", emu.cdn_url()),
            format!("  test key:   {}  (account {})", emu.api_key(), seedance_emulator::DEFAULT_ACCOUNT),
            format!(
                "  other keys: {} (same account), {} (revoked), {} (no credits)",
                seedance_emulator::DEFAULT_TEST_KEY_2,
                seedance_emulator::REVOKED_TEST_KEY,
                seedance_emulator::NO_CREDITS_TEST_KEY
            ),
            format!(
                "  time scale: {scale}  rate limit: {}  media limit: {}",
                describe(cfg.rate_limit),
                describe(cfg.media_rate_limit)
            ),
            format!(
                "  renders:    {}",
                seedance_emulator::describe_spread(&cfg.render_spread)
            ),
            format!("  control:    {}/_emulator/stats", emu.base_url()),
            format!(
                "  use it:     export SEEDANCE_BASE_URL={} SEEDANCE_API_KEY={} SEEDANCE_TIME_SCALE={scale}",
                emu.base_url(),
                emu.api_key()
            ),
            "Press Ctrl-C to stop.".to_owned(),
        ];
        for l in lines {
            println!("{l}");
        }
    }
    wait_for_stop().await;
    emu.shutdown().await;
    Ok(())
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
