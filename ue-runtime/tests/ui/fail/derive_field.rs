use ue_runtime::Field;

#[derive(Field)]
struct Pair(u32, u32);

#[derive(Field)]
enum WithData {
    Idle,
    Busy(u32),
}

#[derive(Field)]
struct Inner(std::cell::Cell<u32>);

#[derive(Field)]
#[ue(repr)]
struct Repr(u8);

fn main() {}
