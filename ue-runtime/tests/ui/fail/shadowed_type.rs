// A site's known types are written by their full paths: a program's own `u32` cannot stand for the kernel's
// (the macro writes a `u32` field's kind itself, so the value must be the primitive).
#![allow(non_camel_case_types, dead_code)]
struct u32;

fn main() {
    ue_runtime::tracepoint!(shadowed, n: u32 = u32);
}
