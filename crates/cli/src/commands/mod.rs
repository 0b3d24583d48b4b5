//! The subcommands of `droste`, one module each. Each `run` returns the process exit code.

pub mod build;
pub mod input;
pub mod inspect;
pub mod interrupt;
pub mod new;
pub mod preset;
pub mod prove;
pub mod recursion;
pub mod run;
pub mod show;
pub mod verify;
pub mod vkey;
