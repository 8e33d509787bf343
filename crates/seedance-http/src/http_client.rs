//! The reqwest client: the process-wide rustls provider, no automatic redirects (this
//! crate follows them by hand, Reading R13), proxies from the environment.

use std::time::Duration;

use crate::error::{ConfigError, Error};

/// Installs the process-wide rustls crypto provider (`ring`) unless one is installed.
/// Call it before building your own `reqwest::Client` (the client's builder calls it).
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Another thread may win the race: either provider is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// A `reqwest::ClientBuilder` ready for
/// [`ClientBuilder::http_client`](crate::ClientBuilder::http_client): the crypto
/// provider installed and redirects left to this crate (Reading R13). Add proxies,
/// resolvers or pools, then `build()`.
///
/// ```
/// let http = seedance_http::reqwest_client_builder().pool_max_idle_per_host(4).build().unwrap();
/// let client = seedance_http::Client::builder().no_env().api_key("k_1").http_client(http).build();
/// assert!(client.is_ok());
/// ```
pub fn reqwest_client_builder() -> reqwest::ClientBuilder {
    install_crypto_provider();
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none())
}

/// The client's own reqwest client, when the builder was given none.
pub(crate) fn default_client(connect_timeout: Duration) -> Result<reqwest::Client, Error> {
    reqwest_client_builder()
        .connect_timeout(connect_timeout)
        .no_proxy()
        .proxy(crate::origin::env_proxy())
        .build()
        .map_err(|e| Error::Config(ConfigError::HttpClient(std::sync::Arc::new(e))))
}
