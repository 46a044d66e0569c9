//! Widgets shared by several pages.

pub mod avatar;
pub mod copy;
pub mod form;
pub mod guard;
pub mod header;
pub mod island;
pub mod providers;
