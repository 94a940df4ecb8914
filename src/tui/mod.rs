//! The terminal interface: the app and its update (`app`), one `Action`
//! enum (`action`), keymaps and themes as data, the views (one component
//! each, `view` and `views`) with the shared client filter (`filter`) and
//! list cursor (`cursor`), and the terminal loop (`terminal`).

pub mod action;
pub mod app;
pub mod config;
pub mod cursor;
pub mod editor;
pub mod filter;
pub mod form;
pub mod fuzzy;
pub mod keymap;
pub mod links;
pub mod settings;
pub mod terminal;
pub mod theme;
pub mod view;
pub mod views;

#[cfg(test)]
mod tests;
