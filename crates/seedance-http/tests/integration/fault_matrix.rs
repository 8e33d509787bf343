//! Promise 1's fault matrix: every injected fault × submit/poll. Tasks created must equal
//! logical submits and each job must be charged exactly once. The delay runs twice: once
//! shorter than the client's timeout, once longer (the client gives up, the server still
//! handles the request, the retry with the same key gets "in flight" then the replay).

use std::time::Duration;

use seedance_emulator::{Endpoint, Fault, FaultKind};
use seedance_http::GenerateOptions;

use crate::common::*;

/// Every kind, each with the client's per-request timeout to use.
fn kinds() -> Vec<(FaultKind, Duration)> {
    let normal = Duration::from_secs(5);
    let impatient = Duration::from_millis(300);
    let kinds = vec![
        FaultKind::ServiceBusy503,
        FaultKind::Internal500,
        FaultKind::RateLimited {
            retry_after_secs: 1,
        },
        FaultKind::DropBeforeHandling,
        FaultKind::DropAfterHandling,
        FaultKind::Delay(Duration::from_millis(150)),
        FaultKind::MalformedJson,
        FaultKind::HtmlBadGateway,
        FaultKind::ExtraFields,
        FaultKind::UnknownStatus("queued".into()),
    ];
    let mut out: Vec<_> = kinds.into_iter().map(|k| (k, normal)).collect();
    out.push((FaultKind::Delay(Duration::from_millis(900)), impatient));
    out
}

const JOBS: u64 = 3;

async fn case(endpoint: Endpoint, kind: FaultKind, timeout: Duration) -> Result<(), String> {
    let emu = emulator().await;
    let client = builder(&emu).timeout(timeout).build().expect("client");
    // fires on the first two matching requests (a retry may meet it again)
    emu.inject(Fault::new(endpoint, kind.clone()).times(2));
    let jobs = (0..JOBS).map(|i| {
        let client = client.clone();
        async move {
            let req = request_with(&format!("Job {i}: a glass train crossing a bridge"));
            client.generate(&req, GenerateOptions::default()).await
        }
    });
    let results = futures_util::future::join_all(jobs).await;
    let s = emu.stats();
    let label = format!("{endpoint:?} × {kind:?} (client timeout {timeout:?})");
    for r in &results {
        if let Err(e) = r {
            return Err(format!("{label}: job failed: {e}"));
        }
    }
    if s.tasks_created != JOBS {
        return Err(format!(
            "{label}: {} tasks for {JOBS} submits ({s:?})",
            s.tasks_created
        ));
    }
    if s.credits_charged != 30 * JOBS {
        return Err(format!("{label}: charged {} ({s:?})", s.credits_charged));
    }
    if s.faults_injected == 0 {
        return Err(format!("{label}: the fault never fired ({s:?})"));
    }
    // Where the server handled a submit the client never heard, the retry must have been
    // answered by the replay (not by luck).
    let unheard = match &kind {
        FaultKind::DropAfterHandling => true,
        FaultKind::Delay(d) => *d > timeout,
        _ => false,
    };
    if endpoint == Endpoint::Submit && unheard && s.idempotent_replays == 0 {
        return Err(format!("{label}: no replay ({s:?})"));
    }
    let mut ids: Vec<_> = results
        .into_iter()
        .map(|r| r.map(|t| t.id).unwrap_or_else(|_| "?".into()))
        .collect();
    ids.sort();
    ids.dedup();
    if ids.len() as u64 != JOBS {
        return Err(format!("{label}: jobs share tasks {ids:?}"));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_on_submit_and_poll_charges_once() {
    let mut cases = Vec::new();
    for endpoint in [Endpoint::Submit, Endpoint::GetTask] {
        for (kind, timeout) in kinds() {
            cases.push(case(endpoint, kind, timeout));
        }
    }
    let n = cases.len();
    let failures: Vec<String> = futures_util::future::join_all(cases)
        .await
        .into_iter()
        .filter_map(Result::err)
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {n} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
