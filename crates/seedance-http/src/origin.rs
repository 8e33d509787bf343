//! Where the key may go: the base-URL rule (plain http only on loopback) and the redirect
//! policy of Reading R13 (the key follows a redirect only to the same site over https).

use url::Url;

use crate::error::ConfigError;

/// Whether a URL's host is loopback (the core's rule: `localhost`, `*.localhost`,
/// 127.0.0.0/8, `::1`).
pub(crate) fn is_loopback(url: &Url) -> bool {
    seedance_core::rules::is_loopback_host(url)
}

/// Checks a base URL: https anywhere, http only on loopback; no user-info, query or
/// fragment. Returns it without a trailing slash.
pub(crate) fn check_base_url(raw: &str) -> Result<Url, ConfigError> {
    // A URL with user-info is never shown (it may hold a password).
    let shown = || crate::secret::scrub_userinfo(raw);
    let invalid = |problem: String| ConfigError::InvalidBaseUrl {
        url: shown(),
        problem,
    };
    let url = Url::parse(raw.trim()).map_err(|e| invalid(format!("does not parse ({e})")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => return Err(ConfigError::InsecureBaseUrl { url: shown() }),
        other => return Err(invalid(format!("has unsupported scheme {other:?}"))),
    }
    if url.host().is_none() {
        return Err(invalid("has no host".to_owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not carry user-info (user:pass@)".to_owned()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("must not have a query or fragment".to_owned()));
    }
    Ok(url)
}

/// What to do with a redirect of a request that carries the key.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RedirectDecision {
    /// Same origin, or the same site over https: follow, with the key.
    FollowWithKey,
    /// Anywhere else: refuse (without the key the API would only answer 401).
    Refuse(String),
}

/// Reading R13, applied: the key follows a redirect only where the core's rule
/// ([`seedance_core::rules::redirect_keeps_key`]) allows it.
pub(crate) fn redirect_decision(from: &Url, to: &Url) -> RedirectDecision {
    match seedance_core::rules::redirect_keeps_key(from.as_str(), to.as_str()) {
        Ok(()) => RedirectDecision::FollowWithKey,
        Err(why) => RedirectDecision::Refuse(why),
    }
}

/// The proxies of the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and their
/// lower-case forms, `NO_PROXY`), except that a loopback host never goes through a proxy:
/// a local emulator's requests, the key included, stay on the machine.
pub(crate) fn env_proxy() -> reqwest::Proxy {
    let var = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
    };
    let https = var(&["HTTPS_PROXY", "https_proxy"]);
    let http = var(&["HTTP_PROXY", "http_proxy"]);
    let all = var(&["ALL_PROXY", "all_proxy"]);
    let no_proxy: Vec<String> = var(&["NO_PROXY", "no_proxy"])
        .unwrap_or_default()
        .split(',')
        .map(|e| e.trim().trim_start_matches('.').to_ascii_lowercase())
        .filter(|e| !e.is_empty())
        .collect();
    reqwest::Proxy::custom(move |url| {
        if is_loopback(url) || bypassed(&no_proxy, url) {
            return None;
        }
        match url.scheme() {
            "https" => https.clone().or_else(|| all.clone()),
            "http" => http.clone().or_else(|| all.clone()),
            _ => all.clone(),
        }
    })
}

/// Whether `NO_PROXY` (its entries, lower-case, without a leading dot) names the host:
/// `*`, the host itself, a parent domain, or the address.
fn bypassed(no_proxy: &[String], url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    no_proxy.iter().any(|e| {
        let e = e.split(':').next().unwrap_or(e); // `host:port` entries: the host
        e == "*" || host == e || host.ends_with(&format!(".{e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn base_url_rules() {
        assert!(check_base_url("https://seedance2ai.io").is_ok());
        assert!(check_base_url("http://127.0.0.1:8080").is_ok());
        assert!(check_base_url("http://127.9.9.9:8080").is_ok());
        assert!(check_base_url("http://[::1]:8080").is_ok());
        assert!(check_base_url("http://localhost:1").is_ok());
        assert!(check_base_url("http://emu.localhost:1").is_ok());
        assert!(check_base_url("http://seedance2ai.io").is_err());
        assert!(check_base_url("http://10.0.0.1").is_err());
        assert!(check_base_url("http://localhost.evil.com").is_err());
        assert!(check_base_url("ftp://seedance2ai.io").is_err());
        assert!(check_base_url("https://u:p@seedance2ai.io").is_err());
        assert!(check_base_url("not a url").is_err());
    }

    #[test]
    fn redirects_keep_the_key_only_on_the_same_site_over_https() {
        use RedirectDecision::*;
        let apex = u("https://seedance2ai.io/api/v1/tasks/x");
        assert_eq!(
            redirect_decision(&apex, &u("https://www.seedance2ai.io/api/v1/tasks/x")),
            FollowWithKey
        );
        assert_eq!(
            redirect_decision(
                &u("https://www.seedance2ai.io/a"),
                &u("https://seedance2ai.io/a")
            ),
            FollowWithKey
        );
        assert_eq!(
            redirect_decision(&apex, &u("https://seedance2ai.io/other")),
            FollowWithKey
        );
        for bad in [
            "http://www.seedance2ai.io/a",       // downgrade
            "https://evil.com/a",                // elsewhere
            "https://seedance2ai.io.evil.com/a", // look-alike
            "https://cdn.seedance2ai.io/a",      // another host of the site: not apex/www
            "https://www.seedance2ai.io:8443/a", // another port
        ] {
            assert!(
                matches!(redirect_decision(&apex, &u(bad)), Refuse(_)),
                "{bad}"
            );
        }
        // loopback tests: same origin over http is fine, another port is not
        let lo = u("http://127.0.0.1:4000/x");
        assert_eq!(
            redirect_decision(&lo, &u("http://127.0.0.1:4000/y")),
            FollowWithKey
        );
        assert!(matches!(
            redirect_decision(&lo, &u("http://127.0.0.1:4001/y")),
            Refuse(_)
        ));
        let emu = u("http://seedance.localhost:4000/x");
        assert_eq!(
            redirect_decision(&emu, &u("http://www.seedance.localhost:4000/x")),
            FollowWithKey
        );
        assert!(matches!(
            redirect_decision(&emu, &u("http://www.seedance.example:4000/x")),
            Refuse(_)
        ));
    }
}
