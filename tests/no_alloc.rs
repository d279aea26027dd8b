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

#[derive(ue_runtime::Field)]
struct Peer {
    port: u16,
    id: Option<u32>,
}

ue_runtime::static_tracepoint!(static STD = "ue_t_noalloc_std u64 took; s64 at; u32 n; u8 n_is_some; __rel_loc char[] s; u8 s_is_some; unsigned char[41] big; unsigned char[46] ip; unsigned char[65] sock; u16 peer_port; u32 peer_id; u8 peer_id_is_some");

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn enabled_writes_of_std_types_and_derived_structs_allocate_nothing() {
    use std::net::{IpAddr, SocketAddr};
    use std::time::{Duration, SystemTime};
    ue_test_support::set_enabled("ue_t_noalloc_std", true);
    ue_test_support::clear_trace();
    let ip: IpAddr = "2001:db8::1".parse().unwrap();
    let sock: SocketAddr = "[2001:db8::1%7]:443".parse().unwrap();
    let now = SystemTime::now();
    assert!(STD.is_enabled());
    let allocs = ue_test_support::alloc::allocations_in(|| {
        for i in 0..1000u32 {
            let opt = (i % 2 == 0).then_some(i);
            let peer = Peer { port: 80, id: opt };
            let fields = (Duration::from_nanos(i.into()), now, opt, opt.map(|_| "s"), i128::MIN, ip, sock, peer);
            STD.emit(&fields);
        }
    });
    ue_test_support::set_enabled("ue_t_noalloc_std", false);
    assert_eq!(allocs, 0, "allocations on the enabled write path");
    assert_eq!(ue_test_support::records("ue_t_noalloc_std").len(), 1000, "and all 1000 events were written");
    assert_eq!(ue_runtime::status().dropped_writes, 0);
}
