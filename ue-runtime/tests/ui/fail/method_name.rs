#![allow(unused)]
// A method's event is named after its type, which an attribute on the method alone cannot see.
struct Conn;

impl Conn {
    #[ue_runtime::user_event]
    fn send(&self, n: u32) {}

    #[ue_runtime::user_event]
    fn open(port: u16) -> Self {
        Conn
    }
}

// An impl block's self type without a name: the method must name its event.
#[ue_runtime::user_event]
impl Tr for (u8, u8) {
    #[ue_runtime::user_event]
    fn go(&self, n: u32) {}
}

trait Tr {
    fn go(&self, n: u32);
}

// An impl block without a marked method, and an option that belongs on the methods.
#[ue_runtime::user_event]
impl Conn {
    fn close(&self) {}
}

struct Other;

#[ue_runtime::user_event(span)]
impl Other {
    #[ue_runtime::user_event]
    fn f(&self) {}
}

fn main() {}
