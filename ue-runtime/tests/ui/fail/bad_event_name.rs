use ue_runtime::{tracepoint, user_event};

#[user_event(name = "has-dash")]
fn f() {}

fn main() {
    tracepoint!("9starts_with_digit");
    tracepoint!("has space", x: u32 = 1);
}
