// An unsupported type names its field as written, also when another site of the crate has a field of that
// name (rustc prints a shared marker type by its path).
use ue_runtime::{tracepoint, user_event};

struct Mine;

#[user_event]
fn first(c: u32) {
    let _ = c;
}

#[user_event]
fn second(c: Mine) {
    let _ = c;
}

fn main() {
    tracepoint!(ev, c: Mine = Mine);
    first(1);
    second(Mine);
}
