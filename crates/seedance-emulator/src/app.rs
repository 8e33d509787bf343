//! The state every handler shares ([`App`]) and the connection handle a handler may
//! close ([`ConnKill`]). Above the state, below the handlers.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::media::MediaCache;
use crate::state::Shared;

/// Closes the connection a request came on (see `FaultKind::DropAfterHandling`).
#[derive(Clone)]
pub(crate) struct ConnKill(pub(crate) Arc<Notify>);

/// State shared by every handler.
pub(crate) struct App {
    pub(crate) shared: Shared,
    pub(crate) base_url: String,
    pub(crate) cdn_url: String,
    pub(crate) media: MediaCache,
}
