//! The HTTP handlers: the public API ([`submit`], [`tasks`]), the CDN ([`cdn`]) and the
//! `/_emulator` control API ([`control`]), over what they share ([`common`], and the
//! hostile answers in [`hostile`]). They use the app, the state and the layers below;
//! the server (above) routes to them.

mod cdn;
mod common;
mod control;
mod hostile;
mod submit;
mod tasks;

pub(crate) use cdn::handle as cdn;
pub(crate) use common::fallback;
pub(crate) use control::routes as control_routes;
pub(crate) use submit::submit_route;
pub(crate) use tasks::task_route;
