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
                let due = now + first_delay.saturating_sub(elapsed);
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
            let Some(id) = self.pick() else {
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
                let attempt = transport::classify(&c.inner, result);
                me.complete(&c, &id, attempt);
            });
        }
    }

    /// Among the due tasks, the one most likely done: the largest share of its expected
    /// render time elapsed.
    fn pick(&self) -> Option<TaskId> {
        let mut s = self.lock();
        let now = Instant::now();
        let mut best: Option<(f64, (Instant, u64, TaskId))> = None;
        for entry in s.queue.iter() {
            if entry.0 > now {
                break;
            }
            let Some(w) = s.tasks.get(&entry.2) else {
                continue;
            };
            let score = (now - w.started).as_secs_f64() / w.expected.as_secs_f64();
            if best.as_ref().map_or(true, |(b, _)| score > *b) {
                best = Some((score, entry.clone()));
            }
        }
        let (_, entry) = best?;
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
                    let due = now + d;
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
