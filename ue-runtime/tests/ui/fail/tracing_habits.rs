use ue_runtime::tracepoint;

fn main() {
    let e = std::io::Error::other("x");
    tracepoint!(ev1, key = "x");
    tracepoint!(ev2, ?e);
    tracepoint!(ev3, %e);
    tracepoint!(ev4, key);
}
