//! The ue test bed and project commands, run by `cargo xtask <command>` (src/main.rs, the command line);
//! xtask/tests/bed.rs uses them too.

pub mod bench;
pub mod cargo_json;
pub mod demo;
pub mod guest;
pub mod kernel;
pub mod layers;
pub mod spec;
pub mod sys;
pub mod test;
pub mod vm;
