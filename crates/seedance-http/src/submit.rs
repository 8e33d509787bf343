//! Submitting (Promise 1: charged once): validation, the job store's record before the
//! first byte leaves, the POST with one key over every retry, and the store's reading of
//! the outcome (Reading R18: a 409 to a submit that may have reached the server before
//! leaves the job open for `resume`).

use std::path::Path;

use reqwest::Method;
use seedance_core::{Task, TaskStatus, VideoRequest};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::client::{cancelled, new_idempotency_key, Client};
use crate::error::{Error, Result};
use crate::events::Event;
use crate::options::SubmitOptions;
use crate::poller::task_failed;
use crate::store::{Change, Charge, JobState};
use crate::transport::{self, Attempt, Retry};

/// What the attempts of one submit call did.
#[derive(Default)]
struct Trace {
    /// Some attempt may have reached the server.
    reached: bool,
    /// Before the last answer, this submit may have reached the server (an earlier
    /// attempt or process).
    earlier: bool,
}

impl Client {
    /// Submits a request (Promise 1: charged once). Validates it first (nothing is sent
    /// when it breaks a rule), optionally preflights its reference URLs, journals it,
    /// then POSTs it with an `Idempotency-Key` that every retry reuses.
    pub async fn submit(&self, request: &VideoRequest, options: SubmitOptions) -> Result<Task> {
        self.submit_job(request, options, None)
            .await
            .map(|(t, _)| t)
    }

    pub(crate) async fn submit_job(
        &self,
        request: &VideoRequest,
        options: SubmitOptions,
        download_dir: Option<&Path>,
    ) -> Result<(Task, String)> {
        request.validate()?;
        let key = options
            .idempotency_key
            .clone()
            .unwrap_or_else(new_idempotency_key);
        // Reading R26, before anything is sent or journaled.
        seedance_core::rules::check_idempotency_key(&key)
            .map_err(|e| Error::Config(e.to_string()))?;
        if options.preflight {
            self.preflight(request).await?;
        }
        let body = serde_json::to_string(request)
            .map_err(|e| Error::Config(format!("cannot encode the request: {e}")))?;
        // A job of this scope under this key that may have been sent before (an earlier
        // process) counts as "sent before" for Reading R18; its stored body is re-sent.
        let output = download_dir.or(options.output.as_deref());
        let (body, sent_before) = match &self.inner.journal {
            Some(j) => {
                let r = j.record_job(&self.inner.scope, &key, &body, output)?;
                (r.body, r.sent_before)
            }
            None => (body, false),
        };
        let task = self
            .post_submit(
                body.as_bytes(),
                request.has_reference_media(),
                &key,
                sent_before,
                options.cancel.as_ref(),
            )
            .await?;
        Ok((task, key))
    }

    pub(crate) fn store_update(&self, key: &str, change: Change<'_>) -> Result<()> {
        match &self.inner.journal {
            Some(j) => j.update(&self.inner.scope, key, &change),
            None => Ok(()),
        }
    }

    /// POSTs with retries and records each step and the outcome in the store.
    pub(crate) async fn post_submit(
        &self,
        body: &[u8],
        media: bool,
        key: &str,
        sent_before: bool,
        cancel: Option<&CancellationToken>,
    ) -> Result<Task> {
        // Written before the first byte leaves: a crash from here on may have charged.
        self.store_update(
            key,
            Change {
                state: Some(JobState::Sent),
                charge: Some(Charge::MayBeCharged),
                only_from: &[JobState::Pending, JobState::Sent, JobState::Interrupted],
                ..Change::default()
            },
        )?;
        let mut trace = Trace {
            reached: sent_before,
            earlier: sent_before,
        };
        let result = self
            .post_with_retries(body, media, key, sent_before, cancel, &mut trace)
            .await;
        let reached = trace.reached;
        if self.inner.journal.is_none() {
            return result;
        }
        match result {
            Ok(task) => {
                self.store_update(
                    key,
                    Change {
                        state: Some(JobState::Submitted),
                        charge: Some(Charge::Charged),
                        task_id: Some(&task.id),
                        ..Change::default()
                    },
                )?;
                if task.status == TaskStatus::Completed {
                    self.store_update(
                        key,
                        Change {
                            state: Some(JobState::Completed),
                            task: Some(&task),
                            ..Change::default()
                        },
                    )?;
                } else if task.status.is_failure() {
                    let e = task_failed(&task).to_string();
                    self.store_update(
                        key,
                        Change {
                            state: Some(JobState::Failed),
                            task: Some(&task),
                            last_error: Some(&e),
                            ..Change::default()
                        },
                    )?;
                }
                Ok(task)
            }
            // Reading R18: a 409 to a submit that may have reached the server before is
            // never final: the job stays "may be charged" for `resume`.
            Err(e @ Error::Api { status: 409, .. })
                if seedance_core::rules::conflict_leaves_job_open(trace.earlier) =>
            {
                let e = may_be_charged(e, key);
                self.keep_open(key, &e)?;
                Err(e)
            }
            // Refused (nothing was created): the job is over, not charged.
            Err(
                e @ Error::Api {
                    status: 400 | 401 | 402 | 403 | 404 | 409 | 413 | 415 | 422,
                    ..
                },
            ) => {
                let m = e.to_string();
                self.store_update(
                    key,
                    Change {
                        state: Some(JobState::Failed),
                        charge: Some(Charge::RefusedNotCharged),
                        last_error: Some(&m),
                        ..Change::default()
                    },
                )?;
                Err(e)
            }
            Err(Error::Cancelled) => {
                self.store_update(
                    key,
                    Change {
                        state: Some(JobState::Interrupted),
                        charge: Some(if reached {
                            Charge::MayBeCharged
                        } else {
                            Charge::NeverSent
                        }),
                        ..Change::default()
                    },
                )?;
                Err(Error::Cancelled)
            }
            // Provably never reached a server: nothing charged, the job is over (the
            // caller saw it fail; `resume` does not send it later).
            Err(e) if !reached => {
                let m = e.to_string();
                self.store_update(
                    key,
                    Change {
                        state: Some(JobState::Failed),
                        charge: Some(Charge::NeverSent),
                        last_error: Some(&m),
                        ..Change::default()
                    },
                )?;
                Err(e)
            }
            // Unknown fate: stays sent ("may be charged"), `resume` re-POSTs with the key.
            Err(e) => {
                let e = may_be_charged(e, key);
                self.keep_open(key, &e)?;
                Err(e)
            }
        }
    }

    fn keep_open(&self, key: &str, e: &Error) -> Result<()> {
        let m = e.to_string();
        self.store_update(
            key,
            Change {
                state: Some(JobState::Sent),
                charge: Some(Charge::MayBeCharged),
                last_error: Some(&m),
                only_from: &[JobState::Pending, JobState::Sent, JobState::Interrupted],
                ..Change::default()
            },
        )
    }

    /// `reached` becomes true once an attempt may have reached the server.
    async fn post_with_retries(
        &self,
        body: &[u8],
        media: bool,
        key: &str,
        mut sent_before: bool,
        cancel: Option<&CancellationToken>,
        trace: &mut Trace,
    ) -> Result<Task> {
        let inner = &self.inner;
        let token = self.cancel_token();
        let mut retries = 0u32;
        let mut conflicts = 0u32;
        let mut conflict_since: Option<Instant> = None;
        loop {
            let send = async {
                // The scarce media slot first, then the general one (in `send`): never a
                // general slot held idle while the media budget is exhausted.
                let held = match (&inner.media_budget, media) {
                    (Some(b), true) => vec![b.acquire().await],
                    _ => Vec::new(),
                };
                transport::send(
                    inner,
                    Method::POST,
                    seedance_core::rules::SUBMIT_PATH,
                    Some(body),
                    Some(key),
                    held,
                    false,
                )
                .await
            };
            let result = tokio::select! {
                r = send => r,
                _ = cancelled(&token, cancel) => {
                    // it may have left already
                    trace.reached = true;
                    return Err(Error::Cancelled);
                }
            };
            let unsent = matches!(&result, Err(e) if e.unsent);
            trace.earlier = sent_before;
            if !unsent {
                trace.reached = true;
            }
            let (error, delay, counted) = match transport::classify(inner, result) {
                Attempt::Task(task) => {
                    tracing::info!(task_id = %task.id, "submitted");
                    inner.events.emit(Event::Submitted {
                        task_id: task.id.clone(),
                        idempotency_key: key.to_owned(),
                        credits_used: task.credits_used,
                    });
                    return Ok(task);
                }
                Attempt::Failed { error, retry } => match retry {
                    Retry::No => return Err(error),
                    Retry::Conflict => {
                        // Reading R18: retry a 409 only when it is not about another body
                        // and this same submit was (maybe) sent before, or the server says
                        // the first request is still running.
                        if !transport::conflict_is_retried(&error, sent_before) {
                            return Err(error);
                        }
                        let since = *conflict_since.get_or_insert_with(Instant::now);
                        if since.elapsed() >= inner.retry.in_flight_timeout {
                            return Err(error);
                        }
                        conflicts += 1;
                        let d = match &error {
                            Error::Api {
                                retry_after: Some(d),
                                ..
                            } => *d,
                            _ => inner
                                .retry
                                .backoff(conflicts.min(6))
                                .max(inner.retry.base / 2),
                        };
                        (error, d, false)
                    }
                    Retry::After(d) => {
                        if media && error.status() == Some(429) {
                            if let Some(b) = &inner.media_budget {
                                b.pause_until(crate::backoff::instant_after(d));
                            }
                        }
                        (error, d, true)
                    }
                    Retry::Backoff => (error, inner.retry.backoff(retries), true),
                },
            };
            if counted {
                if retries >= inner.retry.max_retries {
                    return Err(error);
                }
                retries += 1;
            }
            tracing::warn!(error = %error, delay_ms = delay.as_millis() as u64, "submit will be retried with the same key");
            inner.events.emit(Event::RetryScheduled {
                operation: "submit",
                task_id: None,
                reason: error.to_string(),
                delay,
                attempt: retries + conflicts,
            });
            sent_before |= !unsent;
            self.sleep_or_cancel(delay, &token, cancel).await?;
        }
    }
}

/// Adds to a submit's error that it may have been charged, with its key and the way on.
fn may_be_charged(e: Error, key: &str) -> Error {
    let note = format!(
        " — the submit (idempotency key {key}) may have reached the server and may be charged; \
         the job is kept: `seedance resume` finishes it later with the same key, without paying again"
    );
    match e {
        Error::Transport(m) => Error::Transport(m + &note),
        Error::Api {
            status,
            mut error,
            retry_after,
        } => {
            error.message.push_str(&note);
            Error::Api {
                status,
                error,
                retry_after,
            }
        }
        other => other,
    }
}
