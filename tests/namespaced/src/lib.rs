//! Events of a crate with `[package.metadata.ue] prefix = "ue_t_ns_"`.

/// Registered as `ue_t_ns_request`.
#[ue_runtime::user_event]
pub fn request(id: u32) {}

/// Registered as `ue_t_ns_tick`.
pub fn tick(n: u64) {
    ue_runtime::tracepoint!(tick, n: u64 = n);
}

// Declared by hand: registered as written, with no prefix.
ue_runtime::static_tracepoint!(pub static BY_HAND = "ue_t_by_hand u8 x");
