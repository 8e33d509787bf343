//! `DirectorPrompt`: the provider's prompt guide as an API.
//!
//! The guide: describe the subject, action, scene, camera motion, visual style and
//! constraints; use ordered shots plus a style and constraint package for complex scenes;
//! map every reference asset to the right field (`image_url` for the opening frame,
//! `end_image_url` for the closing frame, `media_urls` for character, motion, style,
//! source-video and extension references) and describe each role in words; say "strictly
//! edit the supplied source video" for edits and "continue from the supplied previous
//! clip" for extensions.
//!
//! This module only declares and re-exports: [`DirectorPrompt`] is in `director`, its
//! text in `render`; what they share sits in the leaves below them (`assets`,
//! `constraints`, `shots`, `errors`, `text`), none of which uses this module.

mod assets;
mod constraints;
mod director;
mod errors;
mod render;
mod shots;
mod text;

pub use assets::{AssetRole, Intent, ReferenceAsset, UnknownAssetRole};
pub use constraints::{Constraint, Constraints};
pub use director::DirectorPrompt;
pub use errors::PromptError;
pub use shots::{Shot, ShotTiming};
