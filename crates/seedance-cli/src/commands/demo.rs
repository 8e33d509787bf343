//! `seedance demo`: the whole flow against an embedded emulator — no key, no network.

use std::time::{Duration, Instant};

use seedance_core::{AspectRatio, DirectorPrompt, QualityTier, Resolution, Shot};
use seedance_emulator::Emulator;
use seedance_http::{Client, GenerateOptions, PollSchedule, WaitOptions};

use super::api::{download_task, print_task};
use crate::cli::DemoArgs;
use crate::error::{from_http, CliError};
use crate::ui::{human_bytes, human_duration, Ui};

/// The demo's director prompt (the provider's guide: subject, scene, style, ordered shots,
/// the constraint package).
pub fn demo_prompt() -> DirectorPrompt {
    DirectorPrompt::new()
        .subject("a glass train with warm lit windows")
        .scene("a snowy mountain pass at dawn, a long stone viaduct over a frozen valley")
        .style("cinematic, soft golden light, light film grain, shallow depth of field")
        .shot(
            Shot::new("the train bursts out of a tunnel into the light")
                .camera("low angle, slow tilt up")
                .timing(0.0, 2.0),
        )
        .shot(
            Shot::new("it glides across the viaduct as snow swirls behind it")
                .camera("wide aerial, slow tracking alongside")
                .timing(2.0, 5.0),
        )
        .duration(5)
}

/// The demo gives up after this many times the expected render time…
const DEMO_WAIT_FACTOR: u32 = 10;
/// …but never sooner than this (real time).
const DEMO_WAIT_MIN: Duration = Duration::from_secs(60);

/// `seedance demo`.
pub async fn run(a: &DemoArgs, ui: &Ui) -> Result<(), CliError> {
    let req = demo_prompt()
        .request()
        .map_err(crate::director::prompt_error)?
        .quality_tier(QualityTier::Standard)
        .resolution(Resolution::P720)
        .aspect_ratio(AspectRatio::Wide16x9)
        .build()?;
    let model = req.expected_render_time();
    ui.note("Seedance demo: an embedded emulator stands in for the API (no key, no network; nothing is charged).");
    let emu = Emulator::builder()
        .time_scale(a.time_scale)
        .render_spread(seedance_emulator::RenderSpread::Realistic)
        .start()
        .await
        .map_err(|e| CliError::local(format!("the embedded emulator could not start: {e}")))?;
    ui.note(format!(
        "Time is scaled {}×: a render that takes about {} on the real API (it varies) takes about {} here.",
        a.time_scale,
        human_duration(model),
        human_duration(a.time_scale.to_real(model))
    ));
    ui.note(format!(
        "\nDirector prompt ({} characters):",
        req.prompt.chars().count()
    ));
    for line in req.prompt.lines() {
        ui.note(format!("  {line}"));
    }
    ui.note("");

    let ui_events = ui.clone();
    let client = Client::builder()
        .no_env()
        .api_key(emu.api_key().to_owned())
        .base_url(emu.base_url())
        .poll_schedule(PollSchedule::default().time_scale(a.time_scale))
        .user_agent(concat!(
            "seedance-cli/",
            env!("CARGO_PKG_VERSION"),
            " (demo)"
        ))
        .on_event(move |e| crate::ctx::show_event(&ui_events, e))
        .build()
        .map_err(from_http)?;
    let started = Instant::now();
    let wait = WaitOptions::default().timeout(
        a.time_scale
            .to_real(model * DEMO_WAIT_FACTOR)
            .max(DEMO_WAIT_MIN),
    );
    let result = async {
        let task = client
            .generate(&req, GenerateOptions::default().wait(wait))
            .await
            .map_err(from_http)?;
        std::fs::create_dir_all(&a.output)
            .map_err(|e| CliError::local(format!("cannot create {}: {e}", a.output.display())))?;
        let files = download_task(&client, &task, &a.output.join("seedance-demo.mp4")).await?;
        Ok::<_, CliError>((task, files))
    };
    let result = tokio::select! {
        r = result => r,
        _ = tokio::signal::ctrl_c() => Err(crate::ctx::interrupted(false)),
    };
    let took = started.elapsed();
    emu.shutdown().await;
    let (task, files) = result?;

    if ui.is_json() {
        let mut v = super::api::result_json(&task, Some(&files), None);
        if let Some(o) = v.as_object_mut() {
            o.insert("emulated".into(), true.into());
            o.insert("time_scale".into(), a.time_scale.get().into());
            o.insert("seconds".into(), took.as_secs_f64().into());
        }
        ui.json(&v);
        return Ok(());
    }
    print_task(ui, &task, Some(&files), None, Some(took));
    ui.out(format!(
        "\nDone in {} ({} at real-API speed). Saved {} into {}/: open the MP4 with any player.",
        human_duration(took),
        human_duration(a.time_scale.to_model(took)),
        human_bytes(files.bytes),
        a.output.display()
    ));
    // Hints, not the result: on stderr, and not with -q.
    ui.note(
        "Credits above are the emulator's illustrative price; nothing was charged.\n\
         Next, with a real key:  export SEEDANCE_API_KEY=sk_live_...\n\
         \x20 seedance generate --subject \"...\" --action \"...\" --style \"...\" -o out/\n\
         Offline again:          seedance emulator --time-scale 100   (then point SEEDANCE_BASE_URL at it)",
    );
    Ok(())
}
