//! Fault injection: what to break, where, and how often.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::errors::ControlError;

/// Which requests a [`Fault`] applies to.
///
/// ```
/// use seedance_emulator::Endpoint;
/// assert!(Endpoint::Any.matches(Endpoint::Submit));
/// assert!(!Endpoint::Any.matches(Endpoint::Cdn));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Endpoint {
    /// `POST /api/v1/video/seedance2`.
    Submit,
    /// `GET /api/v1/tasks/{id}`.
    GetTask,
    /// Every public API endpoint (not the CDN, never `/_emulator`).
    Any,
    /// Every request to the CDN listener.
    Cdn,
}

impl Endpoint {
    /// Whether a fault registered for `self` applies to a request on `actual`.
    pub fn matches(self, actual: Endpoint) -> bool {
        self == actual
            || (self == Endpoint::Any && matches!(actual, Endpoint::Submit | Endpoint::GetTask))
    }
}

/// What an injected fault does.
///
/// ```
/// use seedance_emulator::FaultKind;
/// let k = FaultKind::RateLimited { retry_after_secs: 2 };
/// assert_eq!(k.name(), "rate_limited");
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum FaultKind {
    /// 503 `service_busy`, before the request is handled (no task).
    ServiceBusy503,
    /// 500 `internal_error`, before the request is handled (no task).
    Internal500,
    /// 429 `rate_limited` with this `Retry-After`, before the request is handled.
    RateLimited {
        /// The `Retry-After` header value, seconds.
        retry_after_secs: u64,
    },
    /// Close the connection without handling the request or answering.
    DropBeforeHandling,
    /// Handle the request fully (a submit creates and charges its task), then close the
    /// connection without answering.
    DropAfterHandling,
    /// Answer after this delay. On a submit the delay runs while the idempotency key is
    /// held as in flight (so a concurrent request with the same key gets 409).
    Delay(Duration),
    /// Handle the request, then answer with its status and a truncated JSON body.
    MalformedJson,
    /// Answer 502 with an HTML page, as a proxy in front of the API would (no task).
    HtmlBadGateway,
    /// Handle the request, then add unknown fields to the JSON answer.
    ExtraFields,
    /// Handle the request, then answer with this value in `status`.
    UnknownStatus(String),
    /// A hostile server for your own tests (issue 10): the answer is valid JSON of this
    /// many bytes (API; a huge `x_padding` field), or this many bytes of the file with a
    /// matching `Content-Length` (CDN).
    HugeBody {
        /// Size of the body in bytes.
        bytes: u64,
    },
    /// A body that never ends (API: a JSON string that never closes; CDN: file bytes
    /// forever, without `Content-Length`).
    EndlessBody,
    /// 429 `rate_limited` with this raw `Retry-After` value (`1e300`, a date in the year
    /// 9999, `18446744073709551615`…), before the request is handled.
    AbsurdRetryAfter(String),
    /// Handle the request, then answer about another task: `id` replaced by this one.
    ForeignTaskId(String),
    /// Handle the request, then put terminal escape sequences (title change, screen
    /// clear, a fake line) into the answer's text: `model`, `error.message`, and
    /// `error.code` of error answers.
    ControlChars,
    /// A `Content-Length` that is not the body's length: the whole answer (API) or file
    /// (CDN) is sent with this length announced (`None`: half the real length). Smaller
    /// than the body, the connection carries only that many bytes (HTTP framing); larger,
    /// the body ends early and the connection closes.
    ContentLengthLie {
        /// The announced length in bytes (`None`: half the real length).
        announced: Option<u64>,
    },
}

/// The default size of a [`FaultKind::HugeBody`]: 2 MiB, twice the client's default limit
/// of API bodies.
pub const HUGE_BODY_DEFAULT_BYTES: u64 = 2 << 20;
/// The default value of a [`FaultKind::AbsurdRetryAfter`].
pub const ABSURD_RETRY_AFTER_DEFAULT: &str = "1e300";
/// The default id of a [`FaultKind::ForeignTaskId`].
pub const FOREIGN_TASK_ID_DEFAULT: &str = "sd2_someone_elses_task";
/// What [`FaultKind::ControlChars`] writes into text fields: a title change, a screen
/// clear, and a carriage return and a newline that start a fake success line.
pub const CONTROL_CHARS_TEXT: &str =
    "\u{1b}]0;pwned\u{7}\u{1b}[2J\r\n\u{1b}[32m✔ all good\u{1b}[0m";

impl FaultKind {
    /// Every kind's wire name, in declaration order (the `"kind"` values of the fault
    /// JSON read by [`Fault::from_json`]).
    ///
    /// ```
    /// use seedance_emulator::FaultKind;
    /// assert!(FaultKind::NAMES.contains(&"drop_after"));
    /// ```
    pub const NAMES: &'static [&'static str] = &[
        "service_busy",
        "internal_error",
        "rate_limited",
        "drop_before",
        "drop_after",
        "delay",
        "malformed_json",
        "html_bad_gateway",
        "extra_fields",
        "unknown_status",
        "huge_body",
        "endless_body",
        "absurd_retry_after",
        "foreign_task_id",
        "control_chars",
        "content_length_lie",
    ];

    /// The kind's wire name in the `/_emulator/faults` JSON.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::ServiceBusy503 => "service_busy",
            FaultKind::Internal500 => "internal_error",
            FaultKind::RateLimited { .. } => "rate_limited",
            FaultKind::DropBeforeHandling => "drop_before",
            FaultKind::DropAfterHandling => "drop_after",
            FaultKind::Delay(_) => "delay",
            FaultKind::MalformedJson => "malformed_json",
            FaultKind::HtmlBadGateway => "html_bad_gateway",
            FaultKind::ExtraFields => "extra_fields",
            FaultKind::UnknownStatus(_) => "unknown_status",
            FaultKind::HugeBody { .. } => "huge_body",
            FaultKind::EndlessBody => "endless_body",
            FaultKind::AbsurdRetryAfter(_) => "absurd_retry_after",
            FaultKind::ForeignTaskId(_) => "foreign_task_id",
            FaultKind::ControlChars => "control_chars",
            FaultKind::ContentLengthLie { .. } => "content_length_lie",
        }
    }
}

/// One injected fault: an endpoint, a kind and when it fires.
///
/// Matching requests are counted per fault from 1. Without `nth`, `times` or
/// `probability` the fault fires on every matching request. `nth(n)` makes it fire first
/// on the n-th matching request, and (unless `times` says otherwise) only then;
/// `times(k)` stops it after it fired k times; `probability(p)` makes each eligible
/// request fire with probability p. Faults are checked in the order injected; delays add
/// up, and the first other kind that fires wins.
///
/// ```
/// use seedance_emulator::{Endpoint, Fault, FaultKind};
/// let f = Fault::new(Endpoint::Submit, FaultKind::DropAfterHandling).nth(2);
/// assert_eq!(f.nth_value(), Some(2));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    pub(crate) endpoint: Endpoint,
    pub(crate) kind: FaultKind,
    pub(crate) nth: Option<u64>,
    pub(crate) times: Option<u64>,
    pub(crate) probability: Option<f64>,
}

impl Fault {
    /// A fault that fires on every request to `endpoint`.
    pub fn new(endpoint: Endpoint, kind: FaultKind) -> Self {
        Fault {
            endpoint,
            kind,
            nth: None,
            times: None,
            probability: None,
        }
    }
    /// Fire first on the n-th matching request (1-based).
    #[must_use]
    pub fn nth(mut self, n: u64) -> Self {
        self.nth = Some(n.max(1));
        self
    }
    /// Fire at most k times.
    #[must_use]
    pub fn times(mut self, k: u64) -> Self {
        self.times = Some(k);
        self
    }
    /// Fire with probability p (0..=1) on each eligible request.
    #[must_use]
    pub fn probability(mut self, p: f64) -> Self {
        self.probability = Some(if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) });
        self
    }
    /// The endpoint.
    pub fn endpoint(&self) -> Endpoint {
        self.endpoint
    }
    /// The kind.
    pub fn kind(&self) -> &FaultKind {
        &self.kind
    }
    /// The `nth` setting.
    pub fn nth_value(&self) -> Option<u64> {
        self.nth
    }
}

/// The JSON form of a fault (`POST /_emulator/faults`), documented in the README.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultWire {
    pub(crate) endpoint: Endpoint,
    pub(crate) kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) nth: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) times: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) probability: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) retry_after_secs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) delay_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) size_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) retry_after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) task_id: Option<String>,
    /// Read-only in listings: matching requests seen.
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub(crate) seen: Option<u64>,
    /// Read-only in listings: times fired.
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub(crate) fired: Option<u64>,
}

impl TryFrom<FaultWire> for Fault {
    type Error = ControlError;
    fn try_from(w: FaultWire) -> Result<Fault, ControlError> {
        let misplaced = |field: &str, owner: &str| {
            ControlError::new(format!(
                "{field} only applies to kind \"{owner}\" (got kind {:?})",
                w.kind
            ))
        };
        if w.retry_after_secs.is_some() && w.kind != "rate_limited" {
            return Err(misplaced("retry_after_secs", "rate_limited"));
        }
        if w.delay_ms.is_some() && w.kind != "delay" {
            return Err(misplaced("delay_ms", "delay"));
        }
        if w.status.is_some() && w.kind != "unknown_status" {
            return Err(misplaced("status", "unknown_status"));
        }
        if w.size_bytes.is_some() && w.kind != "huge_body" && w.kind != "content_length_lie" {
            return Err(misplaced("size_bytes", "huge_body or content_length_lie"));
        }
        if w.retry_after.is_some() && w.kind != "absurd_retry_after" {
            return Err(misplaced("retry_after", "absurd_retry_after"));
        }
        if w.task_id.is_some() && w.kind != "foreign_task_id" {
            return Err(misplaced("task_id", "foreign_task_id"));
        }
        let kind = match w.kind.as_str() {
            "service_busy" => FaultKind::ServiceBusy503,
            "internal_error" => FaultKind::Internal500,
            "rate_limited" => FaultKind::RateLimited {
                retry_after_secs: w.retry_after_secs.unwrap_or(1),
            },
            "drop_before" => FaultKind::DropBeforeHandling,
            "drop_after" => FaultKind::DropAfterHandling,
            "delay" => match w.delay_ms {
                Some(ms) => FaultKind::Delay(Duration::from_millis(ms)),
                None => return Err(ControlError::new("kind \"delay\" needs delay_ms")),
            },
            "malformed_json" => FaultKind::MalformedJson,
            "html_bad_gateway" => FaultKind::HtmlBadGateway,
            "extra_fields" => FaultKind::ExtraFields,
            "unknown_status" => {
                FaultKind::UnknownStatus(w.status.unwrap_or_else(|| "queued".to_owned()))
            }
            "huge_body" => FaultKind::HugeBody {
                bytes: w.size_bytes.unwrap_or(HUGE_BODY_DEFAULT_BYTES),
            },
            "endless_body" => FaultKind::EndlessBody,
            "absurd_retry_after" => {
                let v = w
                    .retry_after
                    .unwrap_or_else(|| ABSURD_RETRY_AFTER_DEFAULT.to_owned());
                if axum::http::HeaderValue::from_str(&v).is_err() {
                    return Err(ControlError::new(format!(
                        "retry_after {v:?} is not a valid header value"
                    )));
                }
                FaultKind::AbsurdRetryAfter(v)
            }
            "foreign_task_id" => FaultKind::ForeignTaskId(
                w.task_id
                    .unwrap_or_else(|| FOREIGN_TASK_ID_DEFAULT.to_owned()),
            ),
            "control_chars" => FaultKind::ControlChars,
            "content_length_lie" => FaultKind::ContentLengthLie {
                announced: w.size_bytes,
            },
            other => {
                return Err(ControlError::new(format!(
                    "unknown fault kind {other:?}; expected one of {}",
                    FaultKind::NAMES.join(", ")
                )))
            }
        };
        let mut f = Fault::new(w.endpoint, kind);
        if let Some(n) = w.nth {
            f = f.nth(n);
        }
        if let Some(k) = w.times {
            f = f.times(k);
        }
        if let Some(p) = w.probability {
            if !(0.0..=1.0).contains(&p) {
                return Err(ControlError::new(format!(
                    "probability must be between 0 and 1 (got {p})"
                )));
            }
            f = f.probability(p);
        }
        Ok(f)
    }
}

impl Fault {
    /// Reads a fault from its JSON form, the README's `FaultJson` (what
    /// `POST /_emulator/faults` takes): `{"endpoint": "submit"|"get_task"|"any"|"cdn",
    /// "kind": K, "nth"?, "times"?, "probability"?}` plus `"retry_after_secs"` (kind
    /// `rate_limited`, default 1), `"delay_ms"` (kind `delay`, required), `"status"`
    /// (kind `unknown_status`, default `"queued"`), `"size_bytes"` (kind `huge_body`,
    /// default 2 MiB; kind `content_length_lie`: the announced length, default half the
    /// real one), `"retry_after"` (kind `absurd_retry_after`, default `"1e300"`) or
    /// `"task_id"` (kind `foreign_task_id`). Unknown fields, kinds and endpoints,
    /// a probability outside 0..=1, and a parameter given to a kind it does not belong to
    /// are errors.
    ///
    /// ```
    /// use seedance_emulator::{Endpoint, Fault, FaultKind};
    /// let f = Fault::from_json(&serde_json::json!(
    ///     {"endpoint": "submit", "kind": "rate_limited", "retry_after_secs": 36, "nth": 2}
    /// ))?;
    /// assert_eq!(f, Fault::new(Endpoint::Submit, FaultKind::RateLimited { retry_after_secs: 36 }).nth(2));
    /// assert!(Fault::from_json(&serde_json::json!({"endpoint": "submit", "kind": "gremlins"})).is_err());
    /// # Ok::<(), seedance_emulator::ControlError>(())
    /// ```
    pub fn from_json(value: &Value) -> Result<Fault, ControlError> {
        let wire = FaultWire::deserialize(value)
            .map_err(|e| ControlError::new(format!("invalid fault: {e}")))?;
        Fault::try_from(wire)
    }

    /// Reads one fault (a JSON object) or several (an array of them), as
    /// `POST /_emulator/faults` takes; all or nothing.
    ///
    /// ```
    /// use seedance_emulator::Fault;
    /// let list = Fault::list_from_json(&serde_json::json!([
    ///     {"endpoint": "get_task", "kind": "service_busy", "times": 2},
    ///     {"endpoint": "cdn", "kind": "delay", "delay_ms": 50}
    /// ]))?;
    /// assert_eq!(list.len(), 2);
    /// # Ok::<(), seedance_emulator::ControlError>(())
    /// ```
    pub fn list_from_json(value: &Value) -> Result<Vec<Fault>, ControlError> {
        match value {
            Value::Array(items) => items.iter().map(Fault::from_json).collect(),
            one => Ok(vec![Fault::from_json(one)?]),
        }
    }

    /// The fault's JSON form, as [`Fault::from_json`] reads it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use seedance_emulator::{Endpoint, Fault, FaultKind};
    /// let f = Fault::new(Endpoint::Cdn, FaultKind::Delay(Duration::from_millis(20))).times(3);
    /// assert_eq!(Fault::from_json(&f.to_json())?, f);
    /// # Ok::<(), seedance_emulator::ControlError>(())
    /// ```
    pub fn to_json(&self) -> Value {
        let mut wire = self.to_wire(0, 0);
        wire.seen = None;
        wire.fired = None;
        serde_json::to_value(wire).unwrap_or(Value::Null)
    }
}

impl Fault {
    pub(crate) fn to_wire(&self, seen: u64, fired: u64) -> FaultWire {
        let (retry_after_secs, delay_ms, status) = match &self.kind {
            FaultKind::RateLimited { retry_after_secs } => (Some(*retry_after_secs), None, None),
            FaultKind::Delay(d) => (
                None,
                Some(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                None,
            ),
            FaultKind::UnknownStatus(s) => (None, None, Some(s.clone())),
            _ => (None, None, None),
        };
        let (size_bytes, retry_after, task_id) = match &self.kind {
            FaultKind::HugeBody { bytes } => (Some(*bytes), None, None),
            FaultKind::ContentLengthLie { announced } => (*announced, None, None),
            FaultKind::AbsurdRetryAfter(v) => (None, Some(v.clone()), None),
            FaultKind::ForeignTaskId(id) => (None, None, Some(id.clone())),
            _ => (None, None, None),
        };
        FaultWire {
            size_bytes,
            retry_after,
            task_id,
            endpoint: self.endpoint,
            kind: self.kind.name().to_owned(),
            nth: self.nth,
            times: self.times,
            probability: self.probability,
            retry_after_secs,
            delay_ms,
            status,
            seen: Some(seen),
            fired: Some(fired),
        }
    }
}

/// A fault with its counters.
#[derive(Clone, Debug)]
pub(crate) struct FaultSlot {
    pub(crate) fault: Fault,
    pub(crate) seen: u64,
    pub(crate) fired: u64,
}

/// What the faults decided for one request.
#[derive(Clone, Debug, Default)]
pub(crate) struct Plan {
    pub(crate) delay: Duration,
    pub(crate) action: Option<FaultKind>,
}

impl FaultSlot {
    fn fires(&mut self, endpoint: Endpoint) -> bool {
        if !self.fault.endpoint.matches(endpoint) {
            return false;
        }
        self.seen += 1;
        let start = self.fault.nth.unwrap_or(1);
        if self.seen < start {
            return false;
        }
        let limit = self.fault.times.or(self.fault.nth.map(|_| 1));
        if limit.is_some_and(|l| self.fired >= l) {
            return false;
        }
        if let Some(p) = self.fault.probability {
            if fastrand::f64() >= p {
                return false;
            }
        }
        self.fired += 1;
        true
    }
}

/// Runs every fault against one request on `endpoint`.
pub(crate) fn decide(slots: &mut [FaultSlot], endpoint: Endpoint) -> Plan {
    let mut plan = Plan::default();
    for slot in slots.iter_mut() {
        if plan.action.is_some() {
            // Still count the request for later faults' nth.
            if slot.fault.endpoint.matches(endpoint) {
                slot.seen += 1;
            }
            continue;
        }
        if slot.fires(endpoint) {
            match &slot.fault.kind {
                FaultKind::Delay(d) => plan.delay += *d,
                other => plan.action = Some(other.clone()),
            }
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(f: Fault) -> FaultSlot {
        FaultSlot {
            fault: f,
            seen: 0,
            fired: 0,
        }
    }

    #[test]
    fn nth_fires_once_on_the_nth() {
        let mut s = vec![slot(
            Fault::new(Endpoint::Submit, FaultKind::Internal500).nth(3),
        )];
        let fired: Vec<bool> = (0..6)
            .map(|_| decide(&mut s, Endpoint::Submit).action.is_some())
            .collect();
        assert_eq!(fired, [false, false, true, false, false, false]);
    }

    #[test]
    fn times_limits_and_endpoint_filters() {
        let mut s = vec![slot(
            Fault::new(Endpoint::Any, FaultKind::ServiceBusy503).times(2),
        )];
        assert!(decide(&mut s, Endpoint::Cdn).action.is_none());
        assert!(decide(&mut s, Endpoint::GetTask).action.is_some());
        assert!(decide(&mut s, Endpoint::Submit).action.is_some());
        assert!(decide(&mut s, Endpoint::Submit).action.is_none());
    }

    #[test]
    fn probability_zero_never_fires_and_delays_add() {
        let mut s = vec![
            slot(Fault::new(Endpoint::Submit, FaultKind::Internal500).probability(0.0)),
            slot(Fault::new(
                Endpoint::Submit,
                FaultKind::Delay(Duration::from_millis(5)),
            )),
            slot(Fault::new(
                Endpoint::Submit,
                FaultKind::Delay(Duration::from_millis(7)),
            )),
        ];
        let p = decide(&mut s, Endpoint::Submit);
        assert!(p.action.is_none());
        assert_eq!(p.delay, Duration::from_millis(12));
    }

    #[test]
    fn wire_round_trip() {
        let w: FaultWire = serde_json::from_str(
            r#"{"endpoint":"get_task","kind":"unknown_status","status":"queued","nth":2}"#,
        )
        .unwrap();
        let f = Fault::try_from(w).unwrap();
        assert_eq!(f.kind, FaultKind::UnknownStatus("queued".into()));
        assert_eq!(f.nth, Some(2));
        let bad: FaultWire = serde_json::from_str(r#"{"endpoint":"cdn","kind":"nope"}"#).unwrap();
        assert!(Fault::try_from(bad).is_err());
    }

    #[test]
    fn every_name_parses_to_its_kind() {
        for name in FaultKind::NAMES {
            let mut v = serde_json::json!({"endpoint": "any", "kind": name});
            if *name == "delay" {
                v["delay_ms"] = 5.into();
            }
            let f = Fault::from_json(&v).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(f.kind().name(), *name);
            assert_eq!(Fault::from_json(&f.to_json()).unwrap(), f);
        }
    }

    #[test]
    fn from_json_refuses_what_it_cannot_apply() {
        let cases = [
            (
                serde_json::json!({"endpoint": "submit", "kind": "gremlins"}),
                "unknown fault kind",
            ),
            (
                serde_json::json!({"endpoint": "moon", "kind": "delay", "delay_ms": 1}),
                "invalid fault",
            ),
            (
                serde_json::json!({"endpoint": "submit", "kind": "delay"}),
                "needs delay_ms",
            ),
            (
                serde_json::json!({"endpoint": "submit", "kind": "service_busy", "probability": 1.5}),
                "between 0 and 1",
            ),
            (
                serde_json::json!({"endpoint": "submit", "kind": "service_busy", "retry_after_secs": 3}),
                "only applies to kind \"rate_limited\"",
            ),
            (
                serde_json::json!({"endpoint": "submit", "kind": "delay", "delay_ms": 1, "status": "x"}),
                "only applies to kind \"unknown_status\"",
            ),
            (
                serde_json::json!({"endpoint": "submit", "kind": "delay", "delay_ms": -1}),
                "invalid fault",
            ),
            (
                serde_json::json!({"endpoint": "submit", "kind": "extra_fields", "colour": 1}),
                "unknown field",
            ),
            (serde_json::json!("service_busy"), "invalid fault"),
        ];
        for (v, needle) in cases {
            match Fault::from_json(&v) {
                Ok(f) => panic!("{v} parsed as {f:?}"),
                Err(e) => assert!(e.to_string().contains(needle), "{v}: {e}"),
            }
        }
        let list = serde_json::json!([
            {"endpoint": "submit", "kind": "service_busy"},
            {"endpoint": "submit", "kind": "nope"}
        ]);
        assert!(Fault::list_from_json(&list).is_err(), "all or nothing");
    }
}
