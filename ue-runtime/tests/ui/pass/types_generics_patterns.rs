//! The std types, derived structs, generic code around concrete fields, and pattern arguments.
#![allow(unused)]
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::time::{Duration, SystemTime};
use ue_runtime::{tracepoint, user_event, Field};

#[derive(Field)]
struct Peer {
    port: u16,
    addr: IpAddr,
    id: Option<u64>,
}

#[derive(Field)]
struct Wrapper<T: Copy> {
    inner: T,
    tag: u8,
}

#[user_event]
fn std_types(
    took: Duration,
    at: SystemTime,
    n: Option<u32>,
    s: Option<&str>,
    big: u128,
    neg: i128,
    a: Ipv4Addr,
    b: Ipv6Addr,
    c: IpAddr,
    d: SocketAddrV4,
    e: SocketAddrV6,
    f: SocketAddr,
    peer: &Peer,
) {
}

// `_` and patterns have no name: they are left out, and `skip(_)` is accepted.
#[user_event]
fn patterns(_: u32, (a, b): (u32, u32), Peer { port, .. }: Peer, kept: u8) {}

#[user_event(skip(_))]
fn skip_wild(_: String, n: u32) {}

// A generic function: the fields' types are concrete where the site is.
fn generic<T: AsRef<str> + std::fmt::Debug>(item: T, items: &[T]) {
    tracepoint!(generic_item, item: &str = item.as_ref(), count: usize = items.len(), dbg: Debug = item);
}

fn main() {
    let peer = Peer { port: 1, addr: Ipv4Addr::LOCALHOST.into(), id: None };
    tracepoint!(with_peer, peer: &Peer = &peer, w: Wrapper<u32> = Wrapper { inner: 1, tag: 2 });
    let x = 5;
    tracepoint!(a_message, message: Display = format_args!("message {}", x), done: &str = "done");
    generic("a", &["b"]);
    patterns(1, (2, 3), Peer { port: 1, addr: Ipv4Addr::LOCALHOST.into(), id: Some(1) }, 4);
    skip_wild(String::new(), 1);
}
