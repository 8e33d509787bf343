//! Submitting (Promise 1: charged once): validation, the job store's record before the
//! first byte leaves, the POST with one key over every retry, and the store's reading of
//! the outcome (Reading R18: a 409 to a submit that may have reached the server before
//! leaves the job open for `resume`).

use std::path::Path;

use seedance_core::{Task, TaskStatus, VideoRequest};
use tokio_util::sync::CancellationToken;

use crate::client::{new_idempotency_key, Client};
use crate::error::{ConfigError, Error, Result};
use crate::events::Event;
use crate::options::SubmitOptions;
use crate::poller::task_failed;
use crate::store::{Change, Charge, JobState};
use crate::transport::{Call, Trace};

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
        seedance_core::rules::check_idempotency_key(&key).map_err(ConfigError::from)?;
        if options.preflight {
            self.preflight(request).await?;
        }
        let body = serde_json::to_string(request)
            .map_err(|e| Error::Config(ConfigError::Encode(std::sync::Arc::new(e))))?;
        // A job of this scope under this key that may have been sent before (an earlier
        // process) counts as "sent before" for Reading R18; its stored body is re-sent.
        let output = download_dir.or(options.output.as_deref());
        let (body, sent_before) = match self.job_store() {
            Some(j) => {
                let r = j.record_job(self.job_scope(), &key, &body, output)?;
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
        match self.job_store() {
            Some(j) => j.update(self.job_scope(), key, &change),
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
        let token = self.cancel_token();
        let result = self
            .transport()
            .call(&Call::submit(body, key, media), &mut trace, &token, cancel)
            .await;
        if let Ok(task) = &result {
            // The target the CLI (and `RUST_LOG` users) filter on: `seedance_http::client`.
            tracing::info!(target: "seedance_http::client", task_id = %task.id, "submitted");
            self.transport().events().emit(Event::Submitted {
                task_id: task.id.clone(),
                idempotency_key: key.to_owned(),
                credits_used: task.credits_used,
            });
        }
        let reached = trace.reached;
        if self.job_store().is_none() {
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
}

/// Adds to a submit's error that it may have been charged, with its key and the way on.
fn may_be_charged(e: Error, key: &str) -> Error {
    let note = format!(
        " — the submit (idempotency key {key}) may have reached the server and may be charged; \
         the job is kept: `seedance resume` finishes it later with the same key, without paying again"
    );
    match e {
        Error::Transport(t) => Error::Transport(t.with_note(&note)),
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
