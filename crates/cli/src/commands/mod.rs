//! The subcommands of `droste`, one module each. Each `run` returns the process exit code.

pub mod build;
pub mod new;
pub mod run;
