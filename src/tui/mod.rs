//! The terminal interface: app state and update (`app`), one `Action`
//! enum (`action`), keymaps and themes as data, views, and the terminal
//! loop (`terminal`).

pub mod action;
pub mod app;
pub mod config;
pub mod form;
pub mod fuzzy;
pub mod keymap;
pub mod settings;
pub mod terminal;
pub mod theme;
pub mod views;

#[cfg(test)]
mod tests;
