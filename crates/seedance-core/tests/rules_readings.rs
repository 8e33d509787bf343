//! The Readings that are predicates rather than validation rules: R12 (terminal failure
//! statuses), R13 (where a redirect may take the key) and R18 (what a 409 is about), and
//! the per-value tables every API revision goes through.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and examples may panic

use seedance_core::rules::{
    conflict_reason, is_terminal_failure_status, redirect_keeps_key, ConflictReason,
};
use seedance_core::{validate, QualityTier, Resolution, Rule, VideoRequest};

#[test]
fn r18_conflict_messages_are_classified() {
    for (message, want) in [
        (
            "This Idempotency-Key was already used with a different request body",
            ConflictReason::BodyMismatch,
        ),
        ("Body mismatch for this key", ConflictReason::BodyMismatch),
        (
            "The request body does not match the first one",
            ConflictReason::BodyMismatch,
        ),
        (
            "The first request with this Idempotency-Key is still in flight; retry later",
            ConflictReason::InFlight,
        ),
        (
            "A request with this key is IN PROGRESS",
            ConflictReason::InFlight,
        ),
        (
            "still processing a different body",
            ConflictReason::BodyMismatch,
        ),
        ("Conflict", ConflictReason::Unknown),
        ("", ConflictReason::Unknown),
    ] {
        assert_eq!(conflict_reason(message), want, "{message:?}");
    }
}

#[test]
fn r13_the_key_follows_a_redirect_only_within_the_site_over_https() {
    let keeps = [
        (
            "https://seedance2ai.io/api/v1/tasks/a",
            "https://seedance2ai.io/api/v1/tasks/b",
        ),
        ("https://seedance2ai.io/a", "https://www.seedance2ai.io/a"),
        ("https://www.seedance2ai.io/a", "https://seedance2ai.io/a"),
        ("https://seedance2ai.io./a", "https://WWW.SEEDANCE2AI.IO/a"),
        ("http://127.0.0.1:8787/a", "http://127.0.0.1:8787/b"),
        (
            "http://seedance.localhost:8787/a",
            "http://www.seedance.localhost:8787/a",
        ),
    ];
    for (from, to) in keeps {
        assert_eq!(redirect_keeps_key(from, to), Ok(()), "{from} -> {to}");
    }
    let refuses = [
        (
            "https://seedance2ai.io/a",
            "https://evil.example.com/a",
            "own site",
        ),
        (
            "https://seedance2ai.io/a",
            "https://seedance2ai.io.evil.com/a",
            "own site",
        ),
        (
            "https://seedance2ai.io/a",
            "https://cdn.seedance2ai.io/a",
            "own site",
        ),
        (
            "https://seedance2ai.io/a",
            "http://www.seedance2ai.io/a",
            "only over https",
        ),
        (
            "https://seedance2ai.io/a",
            "https://www.seedance2ai.io:8443/a",
            "own site",
        ),
        (
            "http://127.0.0.1:8787/a",
            "http://example.com/a",
            "only over https",
        ),
        ("https://seedance2ai.io/a", "not a url", "does not parse"),
    ];
    for (from, to, why) in refuses {
        let err = redirect_keeps_key(from, to).expect_err(to);
        assert!(err.contains(why), "{from} -> {to}: {err}");
    }
}

#[test]
fn r12_terminal_failure_statuses() {
    for s in ["cancelled", "canceled", "expired", "aborted", "CANCELLED"] {
        assert!(is_terminal_failure_status(s), "{s}");
    }
    for s in ["processing", "queued", "completed", "failed", ""] {
        assert!(!is_terminal_failure_status(s), "{s}");
    }
}

/// The pro-only rule reads the two tables of `rules.rs` (`Resolution::needs_pro`,
/// `QualityTier::allows_pro_resolutions`), so a new tier or resolution is one edit there:
/// every known combination is accepted or refused exactly as the tables say.
#[test]
fn the_tier_resolution_rule_follows_the_tables() {
    for tier in QualityTier::ALL {
        for res in Resolution::ALL {
            let req = VideoRequest::builder("A glass train crossing a bridge")
                .quality_tier(tier.clone())
                .resolution(res.clone())
                .build_unchecked();
            let refused = validate(&req)
                .err()
                .is_some_and(|e| e.violations().iter().any(|v| v.rule == Rule::NeedsProTier));
            assert_eq!(
                refused,
                res.needs_pro() && !tier.allows_pro_resolutions(),
                "{tier} × {res}"
            );
        }
    }
    assert_eq!(
        Resolution::ALL.iter().filter(|r| r.needs_pro()).count(),
        2,
        "1080p-plus and 4k are pro-only in the spec"
    );
}
