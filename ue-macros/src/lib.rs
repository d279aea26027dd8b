//! Procedural macros of `ue-runtime`: `#[user_event]` and `tracepoint!`. Use them through `ue_runtime`.
//!
//! parse.rs reads the input, check.rs validates names, types and kernel limits (every error at its token),
//! expand.rs writes the tracepoint site.

mod check;
mod expand;
mod namespace;
mod parse;

use proc_macro::TokenStream;

/// Turns each call of a function into a user_events event whose fields are the function's arguments.
///
/// ```text
/// #[user_event]                       // event `handle`, fields `id` (u32) and `path` (__rel_loc char[])
/// fn handle(id: u32, path: &str) {}
///
/// #[user_event(name = "db_query", skip(conn))]
/// fn query(conn: &mut Conn, sql: &str, limit: u64) {}
/// ```
///
/// - Field names are the parameter names; kernel types come from the Rust types through
///   `ue_runtime::Field` (see its table). `self` receivers are left out.
/// - Options: `name = "…"` (default: the function's name), `skip(a, b)` to leave arguments out.
/// - The event is written at the top of the body: for an `async fn` that is its first poll, not the call.
/// - Generic functions work as long as every field left has a concrete type; skip the others.
/// - The check costs one load and one branch while the event is disabled; the write is out of line.
#[proc_macro_attribute]
pub fn user_event(attr: TokenStream, item: TokenStream) -> TokenStream {
    parse::user_event(attr.into(), item.into()).unwrap_or_else(syn::Error::into_compile_error).into()
}

/// A tracepoint site: `tracepoint!(name, field: Type = expr, …)`, or `tracepoint!(name)` without fields.
///
/// ```text
/// tracepoint!(cache_miss, key: &str = &key, bytes: u64 = len as u64);
/// ```
///
/// An expression of type `()`. The field expressions are evaluated only while a tracer has the event enabled.
/// The name is an identifier (or a string literal holding one); field types are those of `ue_runtime::Field`.
/// Limits, checked at compile time: name `[A-Za-z_][A-Za-z0-9_]*` of at most 255 bytes; at most 32 fields;
/// the registration text (name, fields, NUL) at most 512 bytes; `[u8; N]` with 1 ≤ N ≤ 1024.
#[proc_macro]
pub fn tracepoint(input: TokenStream) -> TokenStream {
    parse::tracepoint(input.into()).unwrap_or_else(syn::Error::into_compile_error).into()
}
