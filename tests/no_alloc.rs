//! The enabled write path allocates nothing: a counting global allocator watches this thread while enabled
//! events with every kind of field are written.

#[global_allocator]
static A: ue_test_support::alloc::Counting = ue_test_support::alloc::Counting;

ue_runtime::static_tracepoint!(static EV = "ue_t_noalloc u32 a; s64 b; __rel_loc char[] s; __rel_loc u8[] d; unsigned char[4] arr");

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn enabled_writes_allocate_nothing() {
    ue_test_support::set_enabled("ue_t_noalloc", true);
    ue_test_support::clear_trace();
    let s = String::from("a heap string");
    let d = vec![1u8, 2, 3];
    assert!(EV.is_enabled());
    let allocs = ue_test_support::alloc::allocations_in(|| {
        for i in 0..1000u32 {
            EV.emit(&(i, -i64::from(i), &s, &d, [9u8, 8, 7, 6]));
        }
    });
    ue_test_support::set_enabled("ue_t_noalloc", false);
    assert_eq!(allocs, 0, "allocations on the enabled write path");
    assert_eq!(ue_test_support::records("ue_t_noalloc").len(), 1000, "and all 1000 events were written");
    assert_eq!(ue_runtime::status().dropped_writes, 0);
}
