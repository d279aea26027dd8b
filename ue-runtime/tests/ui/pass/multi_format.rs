#![deny(warnings)]
// Multi-format options on both macros and the hand-declared form.

#[ue_runtime::user_event(multi_format)]
fn upgraded(version: u32) {}

#[ue_runtime::user_event(name = "renamed_multi", multi_format, skip(s))]
fn with_options(s: &str, n: u64) {
    let _ = s;
}

ue_runtime::static_tracepoint!(static BY_HAND = "by_hand_multi u32 a", multi_format);

fn main() {
    upgraded(2);
    with_options("x", 1);
    ue_runtime::tracepoint!(#[multi_format] site_multi, a: u32 = 1);
    ue_runtime::tracepoint!(#[multi_format] site_multi, b: u64 = 2, s: &str = "two");
    BY_HAND.emit(&(1u32,));
    assert!(BY_HAND.is_multi_format());
}
