#![deny(warnings)]
// Methods named after their type; the runtime under another path (`crate = …`).
use ue_runtime::user_event;

mod reexport {
    pub use ue_runtime as tracing_rt;
}

struct A;
struct B<T>(T);

#[user_event]
impl A {
    #[user_event]
    fn new(id: u32) -> A {
        let _ = id;
        A
    }

    #[user_event(span, ret)]
    fn run(&self, n: u64) -> u64 {
        n
    }

    #[user_event(name = "a_named")]
    fn named(&self) {}

    fn untraced(&self) {}
}

#[user_event(crate = crate::reexport::tracing_rt)]
impl<T> B<T> {
    #[user_event(skip(t))]
    fn new(name: &str, t: T) -> Self {
        let _ = name;
        B(t)
    }
}

#[user_event]
impl std::fmt::Display for A {
    #[user_event(skip(f))]
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("A")
    }
}

#[user_event(crate = reexport::tracing_rt, display(peer))]
fn free(peer: std::net::IpAddr) {
    let _ = peer;
}

#[derive(ue_runtime::Field)]
#[ue(crate = crate::reexport::tracing_rt)]
struct Id(u32);

fn main() {
    let a = A::new(1);
    assert_eq!(a.run(2), 2);
    a.named();
    a.untraced();
    let _ = B::new("x", 3u8);
    let _ = a.to_string();
    free([127, 0, 0, 1].into());
    reexport::tracing_rt::tracepoint!(#[crate = reexport::tracing_rt] with_path, id: Id = Id(7));
    ue_runtime::tracepoint!(#[crate = "ue_runtime"] with_string_path);
}
