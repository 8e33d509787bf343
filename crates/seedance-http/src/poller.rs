//! The one poller (Promise 3): every concurrent `wait` of a client (and its clones)
//! registers here; a single task spends the request budget on the due task most likely
//! to be done, instead of one polling loop per task.
//!
//! When each task is due comes from [`crate::schedule`] (a geometric grid over the
//! render-time distribution); which due task gets a free slot from its odds of having
//! ended since its last poll ([`crate::schedule::score`]), unless one is overdue by
//! [`PollSchedule::max_unpolled`](crate::PollSchedule::max_unpolled). Polls queue for the
//! budget like every other request (in order), so submits keep flowing: a submit waits
//! for at most the one poll queued before it. Renders this client sees end are learned
//! into the [`Profile`].

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use seedance_core::{ErrorCode, Task, TaskId, TaskStatus};
use tokio::sync::{oneshot, Notify};
use tokio::time::Instant;

use crate::error::Error;
use crate::events::Event;
use crate::options::PollSchedule;
use crate::profile::Profile;
use crate::render_dist::{Bracket, RenderDist};
use crate::transport::{self, Attempt, Retries, Transport};
use crate::tuning::{MAX_IN_FLIGHT, MAX_LEARN_SPAN, SAVE_EVERY};

type Waiter = (u64, oneshot::Sender<Result<Task, Error>>);

#[derive(Debug)]
struct Watch {
    due: Instant,
    seq: u64,
    /// Expected render time, real (scaled) time.
    expected: Duration,
    /// When the task is thought to have started.
    started: Instant,
    /// The render class, when known (learned under it).
    class: Option<String>,
    /// Whether `started` is the submit's answer (then what is seen is learned).
    learn: bool,
    dist: Arc<RenderDist>,
    /// The factor at which the task was last seen running (0: never polled).
    running_at: f64,
    /// When the poll in flight was sent.
    sent: Option<Instant>,
    polls: u32,
    /// Failed polls in a row (each retried by the transport's one rule, unbounded: the
    /// wait bounds them).
    retries: Retries,
    in_flight: bool,
    waiters: Vec<Waiter>,
}

impl Watch {
    fn factor(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.started).as_secs_f64() / self.expected.as_secs_f64()
    }
}

#[derive(Debug, Default)]
struct State {
    running: bool,
    tasks: HashMap<TaskId, Watch>,
    queue: BTreeSet<(Instant, u64, TaskId)>,
    seq: u64,
    in_flight: usize,
}

/// What a new wait knows about its task.
#[derive(Debug, Clone)]
pub(crate) struct Registration {
    /// Expected render time, real (scaled) time.
    pub(crate) expected: Duration,
    /// How long the task has been running already.
    pub(crate) elapsed: Duration,
    /// Its render class (tier/resolution/duration), when known.
    pub(crate) class: Option<String>,
    /// Whether `elapsed` is exact (the wait follows its submit): only then is the render
    /// learned.
    pub(crate) learn: bool,
}

/// The poller of one client and its clones: it polls through the client's [`Transport`]
/// (budget, retries, events) on the client's [`PollSchedule`], and knows nothing else of
/// the client.
#[derive(Debug)]
pub(crate) struct Poller {
    transport: Arc<Transport>,
    schedule: PollSchedule,
    state: Mutex<State>,
    notify: Notify,
    profile: Mutex<Profile>,
    last_save: Mutex<Option<std::time::Instant>>,
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
    pub(crate) fn new(
        profile: Profile,
        transport: Arc<Transport>,
        schedule: PollSchedule,
    ) -> Poller {
        Poller {
            transport,
            schedule,
            state: Mutex::new(State::default()),
            notify: Notify::new(),
            profile: Mutex::new(profile),
            last_save: Mutex::new(None),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn profile(&self) -> MutexGuard<'_, Profile> {
        self.profile.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Number of tasks being watched (for tests and benchmarks).
    pub(crate) fn watched(&self) -> usize {
        self.lock().tasks.len()
    }

    /// Renders learned so far (pooled over every class).
    pub(crate) fn learned(&self) -> usize {
        self.profile().observed(None)
    }

    /// Writes the learned profile now, when there is something new.
    pub(crate) fn save_profile(&self) {
        let snapshot = self.profile().snapshot();
        if snapshot.is_some() {
            *self.last_save.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(std::time::Instant::now());
        }
        crate::profile::save(snapshot);
    }

    /// Saves unless saved within [`SAVE_EVERY`].
    fn save_profile_soon(&self) {
        let recent = self
            .last_save
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|t| t.elapsed() < SAVE_EVERY);
        if !recent {
            self.save_profile();
        }
    }

    /// Registers a waiter; starts the poller task if it is not running.
    pub(crate) fn register(
        self: &Arc<Self>,
        id: &TaskId,
        reg: Registration,
    ) -> (WaitGuard, oneshot::Receiver<Result<Task, Error>>) {
        let (tx, rx) = oneshot::channel();
        let now = Instant::now();
        let schedule = &self.schedule;
        let dist = self.profile().dist(reg.class.as_deref());
        let spawn = {
            let mut s = self.lock();
            s.seq += 1;
            let waiter = s.seq;
            if let Some(w) = s.tasks.get_mut(id) {
                w.waiters.push((waiter, tx));
            } else {
                let expected = reg.expected.max(Duration::from_millis(1));
                let first = crate::schedule::first_delay(schedule, &dist, expected);
                let due = crate::backoff::checked_after(now, first.saturating_sub(reg.elapsed));
                let seq = s.seq;
                s.queue.insert((due, seq, id.clone()));
                s.tasks.insert(
                    id.clone(),
                    Watch {
                        due,
                        seq,
                        expected,
                        started: now.checked_sub(reg.elapsed).unwrap_or(now),
                        class: reg.class,
                        learn: reg.learn && schedule.learn,
                        dist,
                        running_at: 0.0,
                        sent: None,
                        polls: 0,
                        retries: Retries::default(),
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
            tokio::spawn(async move { me.run().await });
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

    async fn run(self: Arc<Self>) {
        loop {
            let notified = self.notify.notified();
            let next = {
                let mut s = self.lock();
                if s.tasks.is_empty() {
                    s.running = false;
                    drop(s);
                    self.save_profile();
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
            let permit = self.transport.acquire().await;
            let schedule = &self.schedule;
            let Some(id) = self.pick(schedule.scaled(schedule.max_unpolled)) else {
                drop(permit); // unsent: no window starts
                continue;
            };
            let me = Arc::clone(&self);
            tokio::spawn(async move {
                let path = transport::task_path(&id);
                let held = permit.into_iter().collect();
                let result = transport::send(
                    &me.transport,
                    reqwest::Method::GET,
                    &path,
                    None,
                    None,
                    held,
                    true,
                )
                .await;
                let attempt =
                    transport::expect_task(&id, transport::classify(&me.transport, result));
                me.complete(&id, attempt);
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
                let score = crate::schedule::score(&w.dist, w.running_at, w.factor(now));
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
            w.sent = Some(now);
        }
        Some(entry.2)
    }

    /// Learns a render seen ended at `done_at` (factor) after it was last seen running
    /// at `running_at`, and refreshes the distributions of the tasks still watched.
    fn learn(&self, class: &str, running_at: f64, done_at: f64) {
        if running_at <= 0.0 || done_at > running_at * MAX_LEARN_SPAN {
            return; // never seen running, or a bracket too wide to say much
        }
        let Some(b) = Bracket::new(running_at, done_at) else {
            return;
        };
        let mut p = self.profile();
        p.learn(class, b);
        let mut s = self.lock();
        for w in s.tasks.values_mut() {
            w.dist = p.dist(w.class.as_deref());
        }
    }

    fn complete(&self, id: &TaskId, attempt: Attempt) {
        let schedule = &self.schedule;
        let policy = self.transport.retry_policy();
        let mut events = Vec::new();
        let mut deliver: Option<(Vec<Waiter>, Result<Task, Error>)> = None;
        let mut learned: Option<(String, f64, f64)> = None;
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
            let sent = w.sent.take().unwrap_or(now);
            let mut reschedule: Option<Duration> = None;
            match attempt {
                Attempt::Task(task) => {
                    w.retries = Retries::default();
                    if task.status == TaskStatus::Completed {
                        if let (true, Some(class)) = (w.learn, &w.class) {
                            learned = Some((class.clone(), w.running_at, w.factor(now)));
                        }
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
                        w.running_at = w.running_at.max(w.factor(sent));
                        let d = crate::schedule::next_delay(
                            schedule,
                            now.saturating_duration_since(w.started),
                        );
                        events.push(Event::Waiting {
                            task_id: id.clone(),
                            status: task.status.clone(),
                            polls: w.polls,
                            next_poll_in: d,
                        });
                        reschedule = Some(d);
                    }
                }
                Attempt::Failed { error, retry } => {
                    match w.retries.next(policy, &error, retry, None, false) {
                        None => {
                            deliver = Some((std::mem::take(&mut w.waiters), Err(error)));
                        }
                        Some(d) => {
                            events.push(Event::RetryScheduled {
                                operation: "poll",
                                task_id: Some(id.clone()),
                                reason: error.to_string(),
                                error: Box::new(error.clone()),
                                delay: d,
                                attempt: w.retries.attempt(),
                            });
                            reschedule = Some(d);
                        }
                    }
                }
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
        if let Some((class, lo, hi)) = learned {
            self.learn(&class, lo, hi);
            self.save_profile_soon();
        }
        self.notify.notify_waiters();
        for e in events {
            self.transport.events().emit(e);
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

/// Which due task to poll, given `(due, score)` in due order (score: the chance it ended
/// since its last poll). The one most likely done (highest score), unless one is overdue
/// by `starve_after` ([`PollSchedule::max_unpolled`](crate::PollSchedule::max_unpolled))
/// or more: then the most overdue, so that tasks with low odds (stuck ones, or ones far
/// from their expected time) cannot be left unpolled when the budget is short. Every due
/// task is polled at most `starve_after` plus one turn of the overdue queue after it came
/// due.
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
