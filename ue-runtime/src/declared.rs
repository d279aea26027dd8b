//! The first site of each event name in a crate, for the crate's later sites of that name to be checked against
//! at compile time: one name, one format (ue-macros' seen.rs says which site is first).
//!
//! The first site implements [`FirstSite`] for the key of its name, with a type of its own block as the
//! parameter; a later site calls [`first_names`] and [`first_kinds`] on the key, whose parameter rustc infers
//! from that single impl, and asserts in a const that its fields are the same (ue-abi's `same_format`).
//! Nothing of it exists at run time.

use ue_abi::FieldKind;

/// An event name in a crate: `NAME` hashes the name, `CRATE` the crate (its package, version, target and
/// directory), so the impls of the crates a crate depends on never match its keys.
pub struct EventKey<const NAME: u64, const CRATE: u64>;

/// The fields of the first site of an event name; `L` is a type declared in that site's block.
pub trait FirstSite<L> {
    /// Its field names.
    const NAMES: &'static [&'static str];
    /// Its field kinds.
    const KINDS: &'static [FieldKind];
}

/// The field names of the first site of `key`'s name.
pub const fn first_names<L, T: FirstSite<L>>(_key: &T) -> &'static [&'static str] {
    T::NAMES
}

/// The field kinds of the first site of `key`'s name.
pub const fn first_kinds<L, T: FirstSite<L>>(_key: &T) -> &'static [FieldKind] {
    T::KINDS
}
