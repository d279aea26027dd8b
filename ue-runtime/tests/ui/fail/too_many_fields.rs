use ue_runtime::tracepoint;

fn main() {
    tracepoint!(
        many,
        f00: u8 = 0, f01: u8 = 0, f02: u8 = 0, f03: u8 = 0, f04: u8 = 0, f05: u8 = 0, f06: u8 = 0, f07: u8 = 0,
        f08: u8 = 0, f09: u8 = 0, f10: u8 = 0, f11: u8 = 0, f12: u8 = 0, f13: u8 = 0, f14: u8 = 0, f15: u8 = 0,
        f16: u8 = 0, f17: u8 = 0, f18: u8 = 0, f19: u8 = 0, f20: u8 = 0, f21: u8 = 0, f22: u8 = 0, f23: u8 = 0,
        f24: u8 = 0, f25: u8 = 0, f26: u8 = 0, f27: u8 = 0, f28: u8 = 0, f29: u8 = 0, f30: u8 = 0, f31: u8 = 0,
        f32: u8 = 0,
    );
}
