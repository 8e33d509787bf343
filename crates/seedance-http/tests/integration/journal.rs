//! Promise 4: nothing lost.

use seedance_core::TaskStatus;
use seedance_emulator::{Endpoint, Fault, FaultKind};
use seedance_http::{GenerateOptions, JobRecord, JobScope, JobState, JobStore, SubmitOptions};

use crate::common::*;

/// The job under `key` of the emulator's origin and account.
fn job_of(store: &JobStore, emu: &seedance_emulator::Emulator, key: &str) -> JobRecord {
    store
        .job(&JobScope::new(&emu.base_url(), emu.api_key()), key)
        .unwrap()
        .unwrap_or_else(|| panic!("no job {key}"))
}

/// A submit under `key` with a journal at `path` that dies of `fault` (no retries): what
/// a crash at that moment leaves behind. The client is gone afterwards.
async fn crashed_submit(
    emu: &seedance_emulator::Emulator,
    path: &std::path::Path,
    key: &str,
    fault: FaultKind,
) -> seedance_http::Error {
    let client = builder(emu)
        .journal(JobStore::open(path).unwrap())
        .max_retries(0)
        .build()
        .unwrap();
    emu.inject(Fault::new(Endpoint::Submit, fault));
    let e = client
        .submit(&request(), SubmitOptions::default().idempotency_key(key))
        .await
        .unwrap_err();
    emu.clear_faults();
    e
}

#[tokio::test]
async fn the_job_is_journaled_before_the_submit_is_sent() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let e = crashed_submit(&emu, &path, "job-1", FaultKind::DropBeforeHandling).await;
    assert_eq!(e.kind(), seedance_http::ErrorKind::Transport, "{e}");
    // the file (what a crash would leave) holds the job with its key and request
    let jobs = JobStore::load(&path).unwrap();
    let job = jobs.iter().find(|j| j.key == "job-1").unwrap();
    assert_eq!(
        (job.state, job.charge),
        (JobState::Sent, seedance_http::Charge::MayBeCharged)
    );
    assert_eq!(job.request.as_ref(), Some(&request()));
    assert_eq!(emu.stats().tasks_created, 0);
}

#[tokio::test]
async fn resume_reposts_with_the_same_key_when_the_id_was_never_heard() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    // the server creates and charges the task, but the answer is lost ("crash")
    crashed_submit(&emu, &path, "dropped", FaultKind::DropAfterHandling).await;
    assert_eq!(emu.stats().tasks_created, 1);
    let client = builder(&emu).journal_path(&path).build().unwrap();
    let outcomes = client.resume().await.unwrap();
    assert_eq!(outcomes.len(), 1);
    let task = outcomes[0].result.as_ref().unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    let s = emu.stats();
    assert_eq!(s.tasks_created, 1, "no second task: {s:?}");
    assert_eq!(s.credits_charged, 30, "no second charge");
    assert_eq!(s.idempotent_replays, 1);
    assert!(client.journal().unwrap().unfinished().unwrap().is_empty());
    // nothing left to resume
    assert!(client.resume().await.unwrap().is_empty());
}

#[tokio::test]
async fn resume_reattaches_to_submitted_jobs_and_downloads_on_completion() {
    // About 1 s renders: the submit is seen journaled well before the task completes,
    // even on a loaded machine.
    let emu = seedance_emulator::Emulator::builder()
        .time_scale(seedance_core::rules::TimeScale::new(100.0).unwrap())
        .rate_limit(30, WINDOW)
        .media_rate_limit(3, WINDOW)
        .start()
        .await
        .expect("emulator starts");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let out = dir.path().join("out");
    let key;
    {
        let client = builder(&emu).journal_path(&path).build().unwrap();
        // generate with a download dir, interrupted ("Ctrl-C") right after the submit:
        // polled until the journal says submitted, then dropped
        let opts = GenerateOptions::default().download_to(&out);
        let req = request();
        let mut gen = std::pin::pin!(client.generate(&req, opts));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            tokio::select! {
                r = &mut gen => panic!("generate ended before it was interrupted: {r:?}"),
                () = tokio::time::sleep(std::time::Duration::from_millis(2)) => {}
            }
            let jobs = client.journal().unwrap().jobs().unwrap();
            if jobs.first().is_some_and(|j| j.state == JobState::Submitted) {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "never submitted: {jobs:?}"
            );
        }
        let jobs = client.journal().unwrap().jobs().unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].state, JobState::Submitted);
        key = jobs[0].key.clone();
    }
    let client = builder(&emu).journal_path(&path).build().unwrap();
    let outcomes = client.resume().await.unwrap();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].key, key);
    let files = outcomes[0]
        .downloaded
        .as_ref()
        .expect("downloaded on completion");
    assert!(files.video.exists());
    assert!(files.video.starts_with(&out));
    assert!(files.last_frame.as_ref().unwrap().exists());
    let job = job_of(&JobStore::open(&path).unwrap(), &emu, &key);
    assert!(matches!(job.state, JobState::Downloaded));
    assert_eq!(job.downloaded.as_ref(), Some(files));
    assert_eq!(emu.stats().tasks_created, 1);
    assert_eq!(emu.stats().submits, 1, "a submitted job is not re-posted");
}

#[tokio::test]
async fn generate_records_the_whole_job() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let client = builder(&emu)
        .journal_path(dir.path().join("j.jsonl"))
        .build()
        .unwrap();
    let outcome = client
        .generate_job(
            &request(),
            GenerateOptions::default().download_to(dir.path()),
        )
        .await
        .unwrap();
    let task = outcome.result.unwrap();
    let job = job_of(client.journal().unwrap(), &emu, &outcome.key);
    assert_eq!(job.task_id.as_ref(), Some(&task.id));
    assert!(matches!(job.state, JobState::Downloaded));
    assert_eq!(job.downloaded, outcome.downloaded);
    assert!(!job.is_unfinished());
}

#[tokio::test]
async fn the_job_is_on_disk_while_its_submit_is_at_the_server() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let client = builder(&emu)
        .journal(JobStore::open(&path).unwrap())
        .build()
        .unwrap();
    let submit = held_submit(
        &emu,
        &client,
        "early",
        std::time::Duration::from_millis(400),
    )
    .await;
    // the server holds the request: what a crash now would leave on disk
    let jobs = JobStore::load(&path).unwrap();
    let job = jobs
        .iter()
        .find(|j| j.key == "early")
        .unwrap_or_else(|| panic!("not on disk: {jobs:?}"));
    assert_eq!(job.state, JobState::Sent);
    assert_eq!(job.request.as_ref(), Some(&request()));
    assert_eq!(emu.stats().tasks_created, 0);
    let task = submit.await.unwrap().unwrap();
    assert_eq!(
        job_of(client.journal().unwrap(), &emu, "early").task_id,
        Some(task.id)
    );
}

#[tokio::test]
async fn resume_after_a_submit_that_never_reached_the_server_creates_one_task() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    crashed_submit(&emu, &path, "lost", FaultKind::DropBeforeHandling).await;
    assert_eq!(emu.stats().tasks_created, 0);
    // a new process with the same journal
    let client = builder(&emu).journal_path(&path).build().unwrap();
    let outcomes = client.resume().await.unwrap();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].key, "lost");
    let task = outcomes[0].result.as_ref().unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    let s = emu.stats();
    assert_eq!((s.tasks_created, s.credits_charged), (1, 30), "{s:?}");
    assert_eq!(s.idempotent_replays, 0, "nothing to replay: {s:?}");
    assert_eq!(emu.tasks()[0].id, task.id);
    // a second resume (another crash right after) does nothing more
    assert!(client.resume().await.unwrap().is_empty());
    assert_eq!(emu.stats().tasks_created, 1);
}

#[tokio::test]
async fn resume_downloads_a_completed_job_whose_download_was_not_done() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let out = dir.path().join("out");
    let key = {
        let client = builder(&emu)
            .journal_path(&path)
            .max_retries(0)
            .build()
            .unwrap();
        // the CDN is down when the task completes: the job completes, the download fails
        emu.inject(Fault::new(Endpoint::Cdn, FaultKind::ServiceBusy503));
        let outcome = client
            .generate_job(&request(), GenerateOptions::default().download_to(&out))
            .await
            .unwrap();
        assert!(outcome.result.is_err());
        emu.clear_faults();
        outcome.key
    };
    let job = job_of(&JobStore::open(&path).unwrap(), &emu, &key);
    assert!(matches!(job.state, JobState::Completed), "{job:?}");
    assert!(job.downloaded.is_none() && job.is_unfinished());
    let before = emu.stats();
    let client = builder(&emu).journal_path(&path).build().unwrap();
    let outcomes = client.resume().await.unwrap();
    assert_eq!(outcomes.len(), 1);
    let files = outcomes[0].downloaded.as_ref().expect("downloaded");
    assert!(files.video.starts_with(&out) && files.video.exists());
    let after = emu.stats();
    assert_eq!(
        after.requests, before.requests,
        "no API request: the result was journaled"
    );
    assert_eq!(after.tasks_created, 1);
    assert!(client.journal().unwrap().unfinished().unwrap().is_empty());
}

#[tokio::test]
async fn resume_leaves_failed_jobs_alone() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let client = builder(&emu).journal_path(&path).build().unwrap();
    // refused for good (content policy): nothing was created, the job is over
    let e = client
        .submit(
            &request_with("A train on a bridge [refuse]"),
            SubmitOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(400));
    // the task failed (refunded)
    let e = client
        .generate(
            &request_with("A train on a bridge [fail]"),
            GenerateOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, seedance_http::Error::TaskFailed { .. }), "{e}");
    let jobs = client.journal().unwrap().jobs().unwrap();
    assert_eq!(jobs.len(), 2);
    assert!(
        jobs.iter().all(|j| matches!(j.state, JobState::Failed)),
        "{jobs:?}"
    );
    let before = emu.stats().requests;
    let client = builder(&emu).journal_path(&path).build().unwrap();
    assert!(client.resume().await.unwrap().is_empty());
    assert_eq!(emu.stats().requests, before);
}

#[tokio::test]
async fn a_job_refused_at_submit_still_names_its_generated_key() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let client = builder(&emu)
        .journal_path(dir.path().join("j.jsonl"))
        .build()
        .unwrap();
    let outcome = client
        .generate_job(
            &request_with("A train on a bridge [refuse]"),
            GenerateOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(outcome.result.unwrap_err().status(), Some(400));
    assert!(outcome.task_id.is_none());
    assert_eq!(
        outcome.key.len(),
        36,
        "the generated key: {:?}",
        outcome.key
    );
    let job = job_of(client.journal().unwrap(), &emu, &outcome.key);
    assert!(matches!(job.state, JobState::Failed), "{job:?}");
}
