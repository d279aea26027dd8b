//! Procedural macros of ue-runtime.
