//! `validate`: the one function that checks a request against every rule of the spec.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::lint::lint_prompt;
use crate::request::VideoRequest;
use crate::rules::{self, AspectRatio, Channel, Mode, QualityTier, Resolution};

/// Which rule a [`Violation`] breaks.
///
/// ```
/// use seedance_core::{Rule, VideoRequest};
/// let err = VideoRequest::builder("A cat").seed(7).channel("real").build().unwrap_err();
/// assert_eq!(err.violations()[0].rule, Rule::SeedNotSupported);
/// assert_eq!(Rule::SeedNotSupported.as_str(), "seed_not_supported");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// A value outside the field's allowed set.
    AllowedValues,
    /// A length or count outside its bounds (prompt, `media_urls`).
    Length,
    /// A number outside its range (duration, seed).
    Range,
    /// A resolution that needs the `pro` tier.
    NeedsProTier,
    /// A field the mode requires but is missing.
    RequiredByMode,
    /// A field the mode does not take.
    NotAllowedInMode,
    /// A URL that is not a public https URL.
    PublicHttpsUrl,
    /// A seed on a channel or tier that refuses it.
    SeedNotSupported,
    /// Something the prompt guide says never to send (see [`crate::lint_prompt`]).
    PromptLint,
}

impl Rule {
    /// A short stable name (`needs_pro_tier`), for machine-readable output.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::AllowedValues => "allowed_values",
            Rule::Length => "length",
            Rule::Range => "range",
            Rule::NeedsProTier => "needs_pro_tier",
            Rule::RequiredByMode => "required_by_mode",
            Rule::NotAllowedInMode => "not_allowed_in_mode",
            Rule::PublicHttpsUrl => "public_https_url",
            Rule::SeedNotSupported => "seed_not_supported",
            Rule::PromptLint => "prompt_lint",
        }
    }
}

/// One broken rule: the field, the rule, and a message that names the value.
///
/// Displays as `field: message`, e.g.
/// `resolution: "4k" needs quality_tier "pro" (got "standard")`.
///
/// ```
/// use seedance_core::{Rule, VideoRequest};
/// let err = VideoRequest::builder("A cat").duration(3).build().unwrap_err();
/// let v = &err.violations()[0];
/// assert_eq!((v.field.as_str(), v.rule), ("duration", Rule::Range));
/// assert_eq!(v.to_string(), r#"duration: "3" is outside 4–15 seconds"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Violation {
    /// The request field (`prompt`, `media_urls[2]`, …).
    pub field: String,
    /// The rule broken.
    pub rule: Rule,
    /// What is wrong, naming the value.
    pub message: String,
}

impl Violation {
    fn new(field: impl Into<String>, rule: Rule, message: impl Into<String>) -> Self {
        Violation {
            field: field.into(),
            rule,
            message: message.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Every violation of a request, found at once. Never empty.
///
/// ```
/// use seedance_core::{VideoRequest, QualityTier, Resolution};
/// let err = VideoRequest::builder("A glass train")
///     .resolution(Resolution::K4)
///     .build()
///     .unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     r#"invalid request: resolution: "4k" needs quality_tier "pro" (got "standard")"#
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    violations: Vec<Violation>,
}

impl ValidationError {
    /// The violations, in field order.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Consumes the error, giving the violations.
    pub fn into_violations(self) -> Vec<Violation> {
        self.violations
    }

    /// Whether some violation names `field` (exactly, or as `field[i]`).
    ///
    /// ```
    /// use seedance_core::{Mode, VideoRequest};
    /// let err = VideoRequest::builder("A cat").mode(Mode::MediaToVideo)
    ///     .media_url("http://cdn.example.com/a.mp4").build().unwrap_err();
    /// assert!(err.has_field("media_urls"));   // media_urls[0] is not https
    /// assert!(!err.has_field("media"));
    /// ```
    pub fn has_field(&self, field: &str) -> bool {
        self.violations.iter().any(|v| {
            v.field == field
                || v.field
                    .strip_prefix(field)
                    .is_some_and(|rest| rest.starts_with('['))
        })
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid request: ")?;
        for (i, v) in self.violations.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

// The request's own checks live beside the rules they run (the request module knows no
// rules beyond its types).
impl VideoRequest {
    /// Checks every rule of the spec; see [`crate::validate`].
    ///
    /// ```
    /// use seedance_core::VideoRequest;
    /// let req: VideoRequest = serde_json::from_str(r#"{"prompt":"A cat","duration":"30"}"#)?;
    /// assert!(req.validate().unwrap_err().has_field("duration"));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn validate(&self) -> Result<(), ValidationError> {
        validate(self)
    }
}

impl crate::request::VideoRequestBuilder {
    /// Validates every rule and returns the request, or all violations at once.
    pub fn build(self) -> Result<VideoRequest, ValidationError> {
        let req = self.build_unchecked();
        validate(&req)?;
        Ok(req)
    }
}

/// Checks `req` against every rule of the spec and returns all violations at once.
///
/// This is the only implementation of the rules: the client, the CLI, every binding and
/// the emulator call it.
///
/// ```
/// use seedance_core::{validate, Mode, VideoRequest};
/// let req = VideoRequest::builder("hi").mode(Mode::MediaToVideo).build_unchecked();
/// let err = validate(&req).unwrap_err();
/// assert!(err.has_field("prompt"));      // 2 code points, needs 3
/// assert!(err.has_field("media_urls"));  // required for media-to-video
/// ```
pub fn validate(req: &VideoRequest) -> Result<(), ValidationError> {
    let mut v = Vec::new();

    // Allowed values (an `Other` value holds something the API does not accept).
    check_known(
        &mut v,
        req.mode.as_ref(),
        Mode::FIELD,
        Mode::is_known,
        Mode::allowed_list,
    );
    check_known(
        &mut v,
        req.quality_tier.as_ref(),
        QualityTier::FIELD,
        QualityTier::is_known,
        QualityTier::allowed_list,
    );
    check_known(
        &mut v,
        req.channel.as_ref(),
        Channel::FIELD,
        Channel::is_known,
        Channel::allowed_list,
    );
    check_known(
        &mut v,
        req.aspect_ratio.as_ref(),
        AspectRatio::FIELD,
        AspectRatio::is_known,
        AspectRatio::allowed_list,
    );
    check_known(
        &mut v,
        req.resolution.as_ref(),
        Resolution::FIELD,
        Resolution::is_known,
        Resolution::allowed_list,
    );

    // prompt: length in code points (R2), then the guide's lint (R15).
    let chars = req.prompt.chars().count();
    if !(rules::PROMPT_MIN_CHARS..=rules::PROMPT_MAX_CHARS).contains(&chars) {
        v.push(Violation::new(
            "prompt",
            Rule::Length,
            format!(
                "must be {}–{} characters (got {chars})",
                rules::PROMPT_MIN_CHARS,
                rules::PROMPT_MAX_CHARS
            ),
        ));
    }
    for finding in lint_prompt(&req.prompt) {
        v.push(Violation::new(
            "prompt",
            Rule::PromptLint,
            finding.to_string(),
        ));
    }

    // duration
    if let Some(d) = req.duration {
        if !(rules::DURATION_MIN_SECS..=rules::DURATION_MAX_SECS).contains(&d.secs()) {
            v.push(Violation::new(
                "duration",
                Rule::Range,
                format!(
                    "\"{}\" is outside {}–{} seconds",
                    d.secs(),
                    rules::DURATION_MIN_SECS,
                    rules::DURATION_MAX_SECS
                ),
            ));
        }
    }

    // resolution × tier
    let tier = req.effective_quality_tier();
    let resolution = req.effective_resolution();
    if resolution.needs_pro() && !tier.allows_pro_resolutions() {
        v.push(Violation::new(
            "resolution",
            Rule::NeedsProTier,
            format!(
                "\"{resolution}\" needs quality_tier {} (got \"{tier}\")",
                quoted(QualityTier::ALL, QualityTier::allows_pro_resolutions)
            ),
        ));
    }

    // mode × reference fields (R4, R5)
    let mode = req.effective_mode();
    let frame_modes = quoted(Mode::ALL, Mode::uses_frames);
    let media_modes = quoted(Mode::ALL, Mode::uses_media);
    if mode.uses_frames() && req.image_url.is_none() {
        v.push(Violation::new(
            "image_url",
            Rule::RequiredByMode,
            format!("is required for mode \"{mode}\""),
        ));
    }
    if !mode.uses_frames() {
        if req.image_url.is_some() {
            v.push(Violation::new(
                "image_url",
                Rule::NotAllowedInMode,
                format!("is only for mode {frame_modes} (got mode \"{mode}\")"),
            ));
        }
        if req.end_image_url.is_some() {
            v.push(Violation::new(
                "end_image_url",
                Rule::NotAllowedInMode,
                format!("is only for mode {frame_modes} (got mode \"{mode}\")"),
            ));
        }
    }
    match (&req.media_urls, mode.uses_media()) {
        (None, true) => v.push(Violation::new(
            "media_urls",
            Rule::RequiredByMode,
            format!("is required for mode \"{mode}\""),
        )),
        (Some(_), false) => v.push(Violation::new(
            "media_urls",
            Rule::NotAllowedInMode,
            format!("is only for mode {media_modes} (got mode \"{mode}\")"),
        )),
        (Some(urls), true)
            if !(rules::MEDIA_URLS_MIN..=rules::MEDIA_URLS_MAX).contains(&urls.len()) =>
        {
            v.push(Violation::new(
                "media_urls",
                Rule::Length,
                format!(
                    "must have {}–{} entries (got {})",
                    rules::MEDIA_URLS_MIN,
                    rules::MEDIA_URLS_MAX,
                    urls.len()
                ),
            ))
        }
        _ => {}
    }

    // every URL public https (R3, R17)
    for (field, url) in req.reference_urls() {
        if let Err(why) = check_public_https_url(url) {
            v.push(Violation::new(
                field,
                Rule::PublicHttpsUrl,
                format!("{url:?} is not a public https URL: {why}"),
            ));
        }
    }

    // seed: range, then channel/tier (R16)
    if let Some(seed) = req.seed {
        if !(rules::SEED_MIN..=rules::SEED_MAX).contains(&seed) {
            v.push(Violation::new(
                "seed",
                Rule::Range,
                format!("{seed} is outside {}–{}", rules::SEED_MIN, rules::SEED_MAX),
            ));
        }
        let channel = req.effective_channel();
        if !channel.allows_seed() {
            v.push(Violation::new(
                "seed",
                Rule::SeedNotSupported,
                format!("is not supported on channel \"{channel}\""),
            ));
        }
        if !tier.allows_seed() {
            v.push(Violation::new(
                "seed",
                Rule::SeedNotSupported,
                format!("is not supported on quality_tier \"{tier}\""),
            ));
        }
    }

    if v.is_empty() {
        Ok(())
    } else {
        Err(ValidationError { violations: v })
    }
}

/// The values of `all` for which `keep` holds, quoted and joined: `"pro"`, `"a" or "b"`.
fn quoted<T: fmt::Display>(all: &[T], keep: fn(&T) -> bool) -> String {
    all.iter()
        .filter(|v| keep(v))
        .map(|v| format!("\"{v}\""))
        .collect::<Vec<_>>()
        .join(" or ")
}

fn check_known<T: fmt::Display>(
    v: &mut Vec<Violation>,
    value: Option<&T>,
    field: &str,
    is_known: fn(&T) -> bool,
    allowed: fn() -> String,
) {
    if let Some(value) = value {
        if !is_known(value) {
            v.push(Violation::new(
                field,
                Rule::AllowedValues,
                format!("\"{value}\" is not one of {}", allowed()),
            ));
        }
    }
}

/// Checks that `url` is a public https URL (Readings R3, R17); the reason if not.
///
/// ```
/// use seedance_core::check_public_https_url;
/// assert!(check_public_https_url("https://cdn.example.com/cat.png").is_ok());
/// assert!(check_public_https_url("http://cdn.example.com/cat.png").is_err());
/// assert!(check_public_https_url("https://10.0.0.1/cat.png").is_err());
/// assert!(check_public_https_url("https://user:pw@example.com/").is_err());
/// ```
pub fn check_public_https_url(url: &str) -> Result<(), String> {
    // The URL parser silently strips surrounding spaces and inner tabs/newlines; the string
    // is sent as given, so refuse them rather than validate a different URL.
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("contains whitespace or control characters".to_owned());
    }
    // Likewise backslashes (read as `/`) and a missing or extra `/` after the scheme.
    if url.contains('\\') {
        return Err("contains a backslash".to_owned());
    }
    let parsed = url::Url::parse(url).map_err(|e| format!("does not parse ({e})"))?;
    if parsed.scheme() != "https" {
        return Err(format!("scheme must be https (got {})", parsed.scheme()));
    }
    let after_scheme = url.get("https:".len()..).unwrap_or("");
    if !after_scheme.starts_with("//") || after_scheme[2..].starts_with('/') {
        return Err("must start with https:// followed by the host".to_owned());
    }
    // `https://:@host/` parses to an empty user and no password: look at the text too.
    let authority = after_scheme[2..]
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("");
    if authority.contains('@') || !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not carry user-info (user:pass@)".to_owned());
    }
    match parsed.host() {
        None => Err("has no host".to_owned()),
        Some(url::Host::Ipv4(ip)) => check_public_ip(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => check_public_ip(IpAddr::V6(ip)),
        Some(url::Host::Domain(host)) => {
            let host = host.trim_end_matches('.').to_ascii_lowercase();
            if host == "localhost" {
                return Err("localhost is not public".to_owned());
            }
            if let Some(suffix) = rules::NON_PUBLIC_HOST_SUFFIXES
                .iter()
                .find(|s| host.ends_with(*s))
            {
                return Err(format!("host {host} ({suffix}) is not public"));
            }
            if !host.contains('.') {
                return Err(format!("single-label host {host} is not public"));
            }
            if host.split('.').any(str::is_empty) {
                return Err(format!("host {host} has an empty label"));
            }
            Ok(())
        }
    }
}

/// Whether an address is globally reachable; the reason if not.
fn check_public_ip(ip: IpAddr) -> Result<(), String> {
    let why = match ip {
        IpAddr::V4(v4) => non_global_v4(v4),
        IpAddr::V6(v6) => non_global_v6(v6),
    };
    match why {
        Some(kind) => Err(format!("{ip} is not a public address ({kind})")),
        None => Ok(()),
    }
}

fn non_global_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    if ip.is_unspecified() || o[0] == 0 {
        Some("unspecified")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
        Some("shared, carrier-grade NAT")
    } else if ip.is_documentation() || (o[0] == 198 && (o[1] & 0xfe) == 18) {
        Some("documentation/benchmarking")
    } else if o[0] == 192 && o[1] == 0 && o[2] == 0 {
        Some("protocol-assignment")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if ip.is_broadcast() || o[0] >= 240 {
        Some("reserved")
    } else {
        None
    }
}

fn non_global_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return non_global_v4(v4);
    }
    if ip.is_unspecified() {
        Some("unspecified")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if (s[0] & 0xfe00) == 0xfc00 {
        Some("unique-local (private)")
    } else if (s[0] & 0xffc0) == 0xfe80 {
        Some("link-local")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if (s[0] & 0xffc0) == 0xfec0 {
        Some("site-local (deprecated)")
    } else if (s[0] == 0x2001 && s[1] == 0x0db8) || (s[0] & 0xfff0) == 0x3ff0 {
        Some("documentation")
    } else if s[0] == 0x2001 && s[1] == 0 {
        // Teredo (RFC 4380): tunnels to an address the URL does not show.
        Some("Teredo")
    } else if s[0] == 0x2001 && s[1] < 0x0200 {
        // 2001::/23, IETF protocol assignments (benchmarking, ORCHID, AMT…).
        Some("IETF protocol assignment")
    } else if s[0] == 0x5f00 {
        Some("SRv6 segment identifier")
    } else if s[0] == 0x0100 && s[1] == 0 && s[2] == 0 && s[3] == 0 {
        Some("discard-only")
    } else if s[0] == 0x0064 && s[1] == 0xff9b && s[2] == 0x0001 {
        Some("local-use NAT64")
    } else if s[0] == 0x0064 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        // NAT64 (RFC 6052): the last 32 bits are an IPv4 address.
        non_global_v4(embedded_v4(s[6], s[7])).map(|_| "NAT64 of a non-public IPv4")
    } else if s[0] == 0x2002 {
        // 6to4 (RFC 3056): bits 16..48 are an IPv4 address.
        non_global_v4(embedded_v4(s[1], s[2])).map(|_| "6to4 of a non-public IPv4")
    } else if s[0] == 0 && s[1] == 0 && s[2] == 0 && s[3] == 0 && s[4] == 0 && s[5] == 0 {
        Some("IPv4-compatible (deprecated)")
    } else {
        None
    }
}

fn embedded_v4(hi: u16, lo: u16) -> Ipv4Addr {
    let [a, b] = hi.to_be_bytes();
    let [c, d] = lo.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}
