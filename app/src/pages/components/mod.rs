//! Widgets shared by several pages.

pub mod avatar;
pub mod form;
pub mod guard;
pub mod header;
