use ue_runtime::{tracepoint, user_event};

#[user_event]
fn f(ratio: f64) {}

fn main() {
    tracepoint!(ev, x: &f32 = &1.0);
}
