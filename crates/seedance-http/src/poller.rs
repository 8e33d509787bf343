//! The one poller (Promise 3): every concurrent `wait` of a client (and its clones)
//! registers here; a single task spends the request budget on the due task most likely
//! to be done, instead of one polling loop per task.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use seedance_core::{ErrorCode, Task, TaskId, TaskStatus};
use tokio::sync::{oneshot, Notify};
use tokio::time::Instant;

use crate::client::Client;
use crate::error::Error;
use crate::events::Event;
use crate::transport::{self, Attempt, Retry};

/// At most this many polls in flight at once (when the budget is off or generous).
const MAX_IN_FLIGHT: usize = 64;

type Waiter = (u64, oneshot::Sender<Result<Task, Error>>);

#[derive(Debug)]
struct Watch {
    due: Instant,
    seq: u64,
    /// Expected render time, real (scaled) time.
    expected: Duration,
    /// When the task is thought to have started.
    started: Instant,
    polls: u32,
    errors: u32,
    in_flight: bool,
    waiters: Vec<Waiter>,
}

#[derive(Debug, Default)]
struct State {
    running: bool,
    tasks: HashMap<TaskId, Watch>,
    queue: BTreeSet<(Instant, u64, TaskId)>,
    seq: u64,
    in_flight: usize,
}

#[derive(Debug, Default)]
pub(crate) struct Poller {
    state: Mutex<State>,
    notify: Notify,
}

/// Unregisters a waiter when its `wait` future ends or is dropped.
pub(crate) struct WaitGuard {
    poller: Arc<Poller>,
    id: TaskId,
    waiter: u64,
}

impl Drop for WaitGuard {
    fn drop(&mut self) {
        self.poller.unregister(&self.id, self.waiter);
    }
}

impl Poller {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Number of tasks being watched (for tests and benchmarks).
    pub(crate) fn watched(&self) -> usize {
        self.lock().tasks.len()
    }

    /// Registers a waiter; starts the poller task if it is not running.
    pub(crate) fn register(
        self: &Arc<Self>,
        client: &Client,
        id: &TaskId,
        expected: Duration,
        first_delay: Duration,
        elapsed: Duration,
    ) -> (WaitGuard, oneshot::Receiver<Result<Task, Error>>) {
        let (tx, rx) = oneshot::channel();
        let now = Instant::now();
        let spawn = {
            let mut s = self.lock();
            s.seq += 1;
            let waiter = s.seq;
            if let Some(w) = s.tasks.get_mut(id) {
                w.waiters.push((waiter, tx));
            } else {
                let due = crate::backoff::checked_after(now, first_delay.saturating_sub(elapsed));
                let seq = s.seq;
                s.queue.insert((due, seq, id.clone()));
                s.tasks.insert(
                    id.clone(),
                    Watch {
                        due,
                        seq,
                        expected: expected.max(Duration::from_millis(1)),
                        started: now.checked_sub(elapsed).unwrap_or(now),
                        polls: 0,
                        errors: 0,
                        in_flight: false,
                        waiters: vec![(waiter, tx)],
                    },
                );
            }
            let spawn = !s.running;
            s.running = true;
            (spawn, waiter)
        };
        self.notify.notify_waiters();
        if spawn.0 {
            let me = Arc::clone(self);
            let client = client.clone();
            tokio::spawn(async move { me.run(client).await });
        }
        (
            WaitGuard {
                poller: Arc::clone(self),
                id: id.clone(),
                waiter: spawn.1,
            },
            rx,
        )
    }

    fn unregister(&self, id: &TaskId, waiter: u64) {
        let mut s = self.lock();
        let remove = match s.tasks.get_mut(id) {
            Some(w) => {
                w.waiters.retain(|(n, _)| *n != waiter);
                w.waiters.is_empty() && !w.in_flight
            }
            None => false,
        };
        if remove {
            if let Some(w) = s.tasks.remove(id) {
                s.queue.remove(&(w.due, w.seq, id.clone()));
            }
        }
        drop(s);
        self.notify.notify_waiters();
    }

    async fn run(self: Arc<Self>, client: Client) {
        loop {
            let notified = self.notify.notified();
            let next = {
                let mut s = self.lock();
                if s.tasks.is_empty() {
                    s.running = false;
                    return;
                }
                if s.in_flight >= MAX_IN_FLIGHT {
                    None
                } else {
                    s.queue.first().map(|(due, _, _)| *due)
                }
            };
            let Some(due) = next else {
                notified.await;
                continue;
            };
            if due > Instant::now() {
                tokio::select! {
                    _ = tokio::time::sleep_until(due) => {}
                    _ = notified => {}
                }
                continue;
            }
            // Something is due: take a budget slot first, then choose what to spend it
            // on (more tasks may have come due while we waited).
            let permit = match &client.inner.budget {
                Some(b) => Some(b.acquire().await),
                None => None,
            };
            let starve_after = client
                .inner
                .schedule
                .scaled(client.inner.schedule.max_interval);
            let Some(id) = self.pick(starve_after) else {
                drop(permit); // unsent: no window starts
                continue;
            };
            let me = Arc::clone(&self);
            let c = client.clone();
            tokio::spawn(async move {
                let path = format!("{}/{}", seedance_core::rules::TASKS_PATH, id.as_str());
                let held = permit.into_iter().collect();
                let result = transport::send(
                    &c.inner,
                    reqwest::Method::GET,
                    &path,
                    None,
                    None,
                    held,
                    true,
                )
                .await;
                let attempt = transport::expect_task(&id, transport::classify(&c.inner, result));
                me.complete(&c, &id, attempt);
            });
        }
    }

    /// The due task to poll now (see [`choose`]).
    fn pick(&self, starve_after: Duration) -> Option<TaskId> {
        let mut s = self.lock();
        let now = Instant::now();
        let due: Vec<(Instant, f64, &(Instant, u64, TaskId))> = s
            .queue
            .iter()
            .take_while(|entry| entry.0 <= now)
            .filter_map(|entry| {
                let w = s.tasks.get(&entry.2)?;
                let score = (now - w.started).as_secs_f64() / w.expected.as_secs_f64();
                Some((entry.0, score, entry))
            })
            .collect();
        let i = choose(due.iter().map(|(d, sc, _)| (*d, *sc)), now, starve_after)?;
        let entry = due[i].2.clone();
        drop(due);
        s.queue.remove(&entry);
        s.in_flight += 1;
        if let Some(w) = s.tasks.get_mut(&entry.2) {
            w.in_flight = true;
        }
        Some(entry.2)
    }

    fn complete(&self, client: &Client, id: &TaskId, attempt: Attempt) {
        let schedule = &client.inner.schedule;
        let retry = &client.inner.retry;
        let mut events = Vec::new();
        let mut deliver: Option<(Vec<Waiter>, Result<Task, Error>)> = None;
        {
            let mut s = self.lock();
            s.in_flight = s.in_flight.saturating_sub(1);
            let now = Instant::now();
            let Some(w) = s.tasks.get_mut(id) else {
                drop(s);
                self.notify.notify_waiters();
                return;
            };
            w.in_flight = false;
            w.polls += 1;
            let mut reschedule: Option<Duration> = None;
            match attempt {
                Attempt::Task(task) => {
                    w.errors = 0;
                    if task.status == TaskStatus::Completed {
                        events.push(Event::Completed {
                            task: Box::new(task.clone()),
                        });
                        deliver = Some((std::mem::take(&mut w.waiters), Ok(task)));
                    } else if task.status.is_failure() {
                        let err = task_failed(&task);
                        if let Error::TaskFailed { code, message, .. } = &err {
                            events.push(Event::Failed {
                                task_id: task.id.clone(),
                                code: code.clone(),
                                message: message.clone(),
                            });
                        }
                        deliver = Some((std::mem::take(&mut w.waiters), Err(err)));
                    } else {
                        // processing, or an unknown status (Reading R12): keep waiting
                        let d = schedule.interval_after(w.expected_model(schedule), w.polls);
                        events.push(Event::Waiting {
                            task_id: id.clone(),
                            status: task.status.clone(),
                            polls: w.polls,
                            next_poll_in: d,
                        });
                        reschedule = Some(d);
                    }
                }
                Attempt::Failed { error, retry: r } => match r {
                    Retry::No | Retry::Conflict => {
                        deliver = Some((std::mem::take(&mut w.waiters), Err(error)));
                    }
                    Retry::Backoff | Retry::After(_) => {
                        w.errors += 1;
                        let d = match r {
                            Retry::After(d) => d,
                            _ => retry.backoff(w.errors.saturating_sub(1)),
                        };
                        events.push(Event::RetryScheduled {
                            operation: "poll",
                            task_id: Some(id.clone()),
                            reason: error.to_string(),
                            delay: d,
                            attempt: w.errors,
                        });
                        reschedule = Some(d);
                    }
                },
            }
            if let Some(d) = reschedule {
                if w.waiters.is_empty() {
                    s.tasks.remove(id);
                } else {
                    let due = crate::backoff::checked_after(now, d);
                    w.due = due;
                    let seq = w.seq;
                    s.queue.insert((due, seq, id.clone()));
                }
            } else {
                s.tasks.remove(id);
            }
        }
        self.notify.notify_waiters();
        for e in events {
            client.inner.events.emit(e);
        }
        if let Some((waiters, result)) = deliver {
            for (_, tx) in waiters {
                let r = match &result {
                    Ok(t) => Ok(t.clone()),
                    Err(e) => Err(e.duplicate()),
                };
                let _ = tx.send(r);
            }
        }
    }
}

impl Watch {
    /// The expected render time in model time (the schedule divides by its scale).
    fn expected_model(&self, schedule: &crate::PollSchedule) -> Duration {
        let s = if schedule.time_scale.is_finite() && schedule.time_scale > 0.0 {
            schedule.time_scale
        } else {
            1.0
        };
        self.expected.mul_f64(s)
    }
}

/// Which due task to poll, given `(due, score)` in due order (score: the share of its
/// expected render time elapsed). The one most likely done (highest score), unless one
/// is overdue by `starve_after` (the longest regular interval) or more: then the most
/// overdue, so that tasks that never end (ever higher scores) cannot starve the others
/// when the budget is short. Fair under any load: every due task is polled at most
/// `starve_after` plus one turn of the overdue queue after it became due.
fn choose(
    due: impl Iterator<Item = (Instant, f64)>,
    now: Instant,
    starve_after: Duration,
) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, (at, score)) in due.enumerate() {
        if i == 0 && now.saturating_duration_since(at) >= starve_after {
            return Some(0);
        }
        if best.is_none_or(|(_, b)| score > b) {
            best = Some((i, score));
        }
    }
    best.map(|(i, _)| i)
}

/// `failed` (or an R12 status) as an error.
pub(crate) fn task_failed(task: &Task) -> Error {
    let (code, message) = match &task.error {
        Some(e) => (e.code.clone(), e.message.clone()),
        None => (
            ErrorCode::Other(task.status.as_str().to_owned()),
            format!("the task ended with status {:?}", task.status.as_str()),
        ),
    };
    Error::TaskFailed {
        task_id: task.id.clone(),
        code,
        message,
        credits_refunded: task.credits_refunded.unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_task_most_likely_done_goes_first_unless_another_starves() {
        let now = Instant::now() + Duration::from_secs(60);
        let ago = |ms| now - Duration::from_millis(ms);
        let cap = Duration::from_secs(30);
        // nothing due
        assert_eq!(choose(std::iter::empty(), now, cap), None);
        // within the cap: the highest score wins, whatever the due order
        let due = [(ago(20_000), 1.1), (ago(10_000), 9.0), (ago(5_000), 2.0)];
        assert_eq!(choose(due.into_iter(), now, cap), Some(1));
        // the longest-waiting task is overdue by the cap: it goes first, even against
        // a stuck task with an enormous score
        let due = [(ago(30_000), 1.02), (ago(1), 500.0)];
        assert_eq!(choose(due.into_iter(), now, cap), Some(0));
        let due = [(ago(29_999), 1.02), (ago(1), 500.0)];
        assert_eq!(choose(due.into_iter(), now, cap), Some(1));
    }
}
