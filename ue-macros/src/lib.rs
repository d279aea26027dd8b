//! Procedural macros of `ue-runtime`: `#[user_event]`, `tracepoint!` and `#[derive(Field)]`. Use them through
//! `ue_runtime`, whose docs show them at work.
//!
//! Each reads as parse (parse.rs, into model.rs) → check (check.rs: names, types, kernel limits, every error at
//! its token) → expand (expand.rs, derive.rs).

#![deny(missing_docs)]

mod check;
mod derive;
mod expand;
mod known;
mod model;
mod namespace;
mod owner;
mod parse;
mod seen;
mod span;
mod usdt;

use proc_macro::TokenStream;

/// Turns each call of a function into a user_events event whose fields are the function's arguments.
///
/// - Field names are the parameter names; kernel types come from the Rust types through `ue_runtime::Field`
///   (see its table). `self` receivers are left out, and so are arguments bound by a pattern rather than a
///   name (`_`, `(a, b)`, `Point { x, y }`, `ref x`): they have no field name (bind a name to record one).
/// - On an `impl` block (which then takes only `crate = path`), it names the events of the methods marked
///   `#[user_event]` in it `Type_method` (`Type_Trait_method` in a trait impl); a method with a `self` receiver or
///   `Self` in its signature needs that, or `name = "…"` (a compile error says so).
/// - Options: `name = "…"` (default: the function's name), `crate = path` (where the runtime is, when not
///   `::ue_runtime` or the manifest's name for it), `skip(a, b)` to leave arguments out,
///   `display(a)`, `debug(b)` to record any `Display`/`Debug` argument as text, `hex(c)` for bytes as hex text.
/// - The event is written at the top of the body: for an `async fn` that is its first poll, not the call.
/// - `span`: each call is an interval: the entry event gets `u64 span_id; u64 parent_id`, and an event
///   `NAME_exit` (`u64 span_id; u64 duration_ns; u8 outcome`) is written on every way out; `ret` (a `Field`
///   return type), `ret(display)`, `ret(debug)` add the returned value as `ret`, `err` the `Display` text of a
///   `Result`'s error as `err`. See the README, "Spans".
/// - Generic functions work as long as every field left has a concrete type; skip the others.
/// - The check costs one load and one branch while the event is disabled; the write is out of line.
///
/// On a mistake the function is kept as written, beside the error, so the rest of the crate still sees it.
///
/// ```
/// use ue_runtime::user_event;
///
/// #[user_event] // event `handle`: u32 id, __rel_loc char[] path
/// fn handle(id: u32, path: &str) -> usize {
///     path.len() + id as usize
/// }
///
/// #[user_event(name = "db_query", skip(conn), display(peer))]
/// fn query(conn: &mut Vec<u8>, peer: std::net::IpAddr, sql: &str, limit: u64) {
///     conn.extend_from_slice(sql.as_bytes());
/// }
///
/// handle(7, "/index.html");
/// query(&mut Vec::new(), [10, 0, 0, 1].into(), "SELECT 1", 10);
/// ```
#[proc_macro_attribute]
pub fn user_event(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item: proc_macro2::TokenStream = item.into();
    if let Ok(block) = syn::parse2::<syn::ItemImpl>(item.clone()) {
        return owner::impl_block(attr.into(), block)
            .unwrap_or_else(|e| {
                let mut ts = e.into_compile_error();
                ts.extend(item);
                ts
            })
            .into();
    }
    match syn::parse2::<syn::ItemFn>(item.clone()) {
        Ok(func) => match function(attr.into(), func, None) {
            Ok(func) => quote::quote!(#func).into(),
            Err(failed) => {
                let (e, func) = *failed;
                let mut ts = e.into_compile_error();
                ts.extend(quote::quote!(#func));
                ts.into()
            }
        },
        Err(e) => {
            let mut ts = e.into_compile_error();
            ts.extend(item);
            ts.into()
        }
    }
}

/// `#[user_event(attr)]` on `func`, a method of `owner`'s impl block if given: the function with its site, or
/// the error and the function as written.
fn function(
    attr: proc_macro2::TokenStream,
    mut func: syn::ItemFn,
    owner: Option<&owner::Owner>,
) -> Result<syn::ItemFn, Box<(syn::Error, syn::ItemFn)>> {
    let original = func.clone();
    let result = (|| {
        let (site, span, generics) = parse::user_event(attr, &func, owner)?;
        check::site(&site, &generics)?;
        if let Some(span) = &span {
            check::site(&span.exit, &generics)?;
            *func.block = syn::parse2(span::body(&func, &site, span))?;
        } else {
            func.block.stmts.insert(0, syn::parse2(expand::user_event(&site))?);
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok(func),
        Err(e) => Err(Box::new((e, original))),
    }
}

/// A tracepoint site: `tracepoint!(name, field: Type = expr, …)`, or `tracepoint!(name)` without fields.
///
/// An expression of type `()`. The field expressions are evaluated only while a tracer has the event enabled.
/// The name is an identifier (or a string literal holding one). A field is `name: Type = value` with a type of
/// `ue_runtime::Field`, or `name: Display = value`, `name: Debug = value` (any value, formatted while enabled)
/// or `name: Hex = bytes`. `let PAT = EXPR` entries are preparation the fields share: they run only while
/// enabled, in order, before the fields are evaluated. Limits, checked at compile time: name `[A-Za-z_][A-Za-z0-9_]*` of at most 255 bytes;
/// at most 32 fields; the registration text (name, fields, NUL) at most 512 bytes; `[u8; N]` with 1 ≤ N ≤ 1024.
///
/// ```
/// use ue_runtime::tracepoint;
///
/// let key = String::from("user:7");
/// let err = std::io::Error::other("timeout");
/// tracepoint!(cache_miss, key: &str = &key, bytes: u64 = 4096);
/// tracepoint!(lookup_failed, key: &str = format!("{key}/x"), err: Display = err, ratio: f64 = 0.25);
/// tracepoint!(flush); // no fields
/// # let stats = || (3u64, 4u64);
/// tracepoint!(cache_stats, let (hits, misses) = stats(), hits: u64 = hits, misses: u64 = misses);
/// ```
#[proc_macro]
pub fn tracepoint(input: TokenStream) -> TokenStream {
    parse::tracepoint(input.into())
        .and_then(|site| {
            check::site(&site, &[])?;
            Ok(expand::tracepoint(&site))
        })
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// `#[derive(Field)]`: a newtype is recorded as its inner type; a struct of named fields as one kernel field per
/// struct field, named `ARG_FIELD` (a field `peer: Peer` of `port` and `id` gives `peer_port` and `peer_id`);
/// a fieldless enum as its variant's name, or with `#[ue(repr)]` as its discriminant (of the type its `#[repr]`
/// names, `isize` without one).
///
/// ```
/// use ue_runtime::{tracepoint, Field};
///
/// #[derive(Field)]
/// struct RequestId(u64); // u64
///
/// #[derive(Field)]
/// enum State { Idle, Busy } // __rel_loc char[]: "Idle", "Busy"
///
/// #[derive(Field)]
/// struct Peer { port: u16, id: Option<u32> } // u16 peer_port; u32 peer_id; u8 peer_id_is_some
///
/// #[derive(Field)]
/// #[ue(repr)]
/// #[repr(u16)]
/// enum Code { Ok = 200, NotFound = 404 } // u16: 200, 404
///
/// tracepoint!(request_done, id: RequestId = RequestId(7), state: State = State::Idle, code: Code = Code::Ok);
/// tracepoint!(connected, peer: Peer = Peer { port: 443, id: Some(9) });
/// # let _ = (State::Busy, Code::NotFound);
/// ```
#[proc_macro_derive(Field, attributes(ue))]
pub fn derive_field(input: TokenStream) -> TokenStream {
    derive::field(input.into()).unwrap_or_else(syn::Error::into_compile_error).into()
}
