//! Promise 4: nothing lost.

use seedance_core::TaskStatus;
use seedance_emulator::{Endpoint, Fault, FaultKind};
use seedance_http::{GenerateOptions, JobState, Journal, SubmitOptions};

use crate::common::*;

#[tokio::test]
async fn the_job_is_journaled_before_the_submit_is_sent() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let client = builder(&emu)
        .journal(Journal::open(&path).unwrap())
        .max_retries(0)
        .build()
        .unwrap();
    emu.inject(Fault::new(Endpoint::Submit, FaultKind::DropBeforeHandling));
    let e = client
        .submit(
            &request(),
            SubmitOptions::default().idempotency_key("job-1"),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), seedance_http::ErrorKind::Transport, "{e}");
    // a fresh open (as after a crash) sees the job with its key and request
    let j = Journal::open(&path).unwrap();
    let job = j.job("job-1").unwrap();
    assert_eq!(job.state, JobState::Pending);
    assert_eq!(job.request, request());
    assert_eq!(emu.stats().tasks_created, 0);
}

#[tokio::test]
async fn resume_reposts_with_the_same_key_when_the_id_was_never_heard() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    {
        let client = builder(&emu)
            .journal(Journal::open(&path).unwrap())
            .max_retries(0)
            .build()
            .unwrap();
        // the server creates and charges the task, but the answer is lost ("crash")
        emu.inject(Fault::new(Endpoint::Submit, FaultKind::DropAfterHandling));
        assert!(client
            .submit(&request(), SubmitOptions::default())
            .await
            .is_err());
        assert_eq!(emu.stats().tasks_created, 1);
        emu.clear_faults();
    }
    let client = builder(&emu).journal_path(&path).build().unwrap();
    let outcomes = client.resume().await.unwrap();
    assert_eq!(outcomes.len(), 1);
    let task = outcomes[0].result.as_ref().unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    let s = emu.stats();
    assert_eq!(s.tasks_created, 1, "no second task: {s:?}");
    assert_eq!(s.credits_charged, 30, "no second charge");
    assert_eq!(s.idempotent_replays, 1);
    assert!(client.journal().unwrap().unfinished().is_empty());
    // nothing left to resume
    assert!(client.resume().await.unwrap().is_empty());
}

#[tokio::test]
async fn resume_reattaches_to_submitted_jobs_and_downloads_on_completion() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let out = dir.path().join("out");
    let key;
    {
        let client = builder(&emu).journal_path(&path).build().unwrap();
        // generate with a download dir, interrupted ("Ctrl-C") right after the submit
        let opts = GenerateOptions::default().download_to(&out);
        let req = request();
        let gen = client.generate(&req, opts);
        let _ = tokio::time::timeout(std::time::Duration::from_millis(20), gen).await;
        let jobs = client.journal().unwrap().jobs();
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
    let job = Journal::open(&path).unwrap().job(&key).unwrap();
    assert!(matches!(job.state, JobState::Completed { .. }));
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
    let job = client.journal().unwrap().job(&outcome.key).unwrap();
    assert_eq!(job.task_id.as_ref(), Some(&task.id));
    assert!(matches!(job.state, JobState::Completed { .. }));
    assert_eq!(job.downloaded, outcome.downloaded);
    assert!(!job.is_unfinished());
}
