use ue_runtime::{tracepoint, user_event};

struct Mine;

#[user_event]
fn addr(who: std::net::IpAddr) {
    let _ = who;
}

fn main() {
    tracepoint!(ev, v: Vec<u32> = vec![1]);
    tracepoint!(ev2, m: Mine = Mine);
    tracepoint!(ev3, r: &Mine = &Mine);
    addr(std::net::Ipv4Addr::LOCALHOST.into());
}
