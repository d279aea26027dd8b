use ue_runtime::user_event;

#[user_event]
const fn f(x: u32) -> u32 {
    x
}

fn main() {}
