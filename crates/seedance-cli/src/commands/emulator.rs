//! `seedance emulator`: serves the local emulator until Ctrl-C.

use seedance_emulator::EmulatorBuilder;
use serde_json::json;

use crate::cli::EmulatorArgs;
use crate::error::CliError;
use crate::ui::Ui;

/// The builder the flags describe (the emulator's own reading of its flags).
pub fn builder(a: &EmulatorArgs) -> Result<EmulatorBuilder, CliError> {
    a.builder().map_err(CliError::usage)
}

fn describe(l: Option<seedance_emulator::RateLimit>) -> String {
    match l {
        Some(l) => l.to_string(),
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
            "account": seedance_emulator::DEFAULT_ACCOUNT, "time_scale": cfg.time_scale.get(),
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
