//! Secrets never shown: `ApiKey` (the API key, never printed) and the scrubbing of
//! credentials from messages.

use std::fmt;

/// The API key. Its `Debug` and `Display` never show it (Promise 5); the only way to
/// read it is [`ApiKey::expose`], which the client calls when it builds the
/// `Authorization` header for the API origin, and nowhere else.
///
/// ```
/// use seedance_http::ApiKey;
/// let key = ApiKey::new("sk_live_0123456789");
/// assert_eq!(format!("{key:?}"), "ApiKey([redacted])");
/// assert!(!key.to_string().contains("0123456789"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    /// The key itself. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the key is empty (or only whitespace).
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }

    /// Replaces every occurrence of the key in `text` by `[redacted]` (for messages that
    /// quote server bodies, which might echo it back).
    pub fn redact(&self, text: &str) -> String {
        if self.0.len() < 4 {
            return text.to_owned();
        }
        text.replace(&self.0, "[redacted]")
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<&str> for ApiKey {
    fn from(s: &str) -> Self {
        ApiKey::new(s)
    }
}

impl From<String> for ApiKey {
    fn from(s: String) -> Self {
        ApiKey(s)
    }
}

/// Removes the `user:password@` of every URL in `text` (a proxy URL from `HTTPS_PROXY`
/// may carry credentials, and error chains may quote it).
pub(crate) fn scrub_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == ')')
            .unwrap_or(tail.len());
        match tail[..authority_end].rfind('@') {
            Some(at) => {
                out.push_str("[redacted]@");
                rest = &tail[at + 1..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed() {
        let k = ApiKey::new("sk_live_supersecret");
        assert!(!format!("{k:?}").contains("supersecret"));
        assert!(!format!("{k}").contains("supersecret"));
        assert!(!format!("{k:#?}").contains("supersecret"));
        assert_eq!(k.expose(), "sk_live_supersecret");
        assert_eq!(
            k.redact("echo sk_live_supersecret back"),
            "echo [redacted] back"
        );
    }

    #[test]
    fn userinfo_is_scrubbed_from_messages() {
        assert_eq!(
            scrub_userinfo("error connecting to proxy http://bob:hunter2@proxy.example:3128/ (x)"),
            "error connecting to proxy http://[redacted]@proxy.example:3128/ (x)"
        );
        assert_eq!(
            scrub_userinfo("a https://h.example/p@q and socks5://u@p:1"),
            "a https://h.example/p@q and socks5://[redacted]@p:1"
        );
        assert_eq!(scrub_userinfo("no url here"), "no url here");
    }
}
