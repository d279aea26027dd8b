use ue_runtime::tracepoint;

struct NotDisplay;

fn main() {
    tracepoint!(ev, a: Display = NotDisplay);
    tracepoint!(ev2, b: Hex = 42u32);
}
