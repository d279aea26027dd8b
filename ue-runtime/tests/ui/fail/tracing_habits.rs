use ue_runtime::tracepoint;

fn main() {
    let e = std::io::Error::other("x");
    tracepoint!(ev1, key = "x");
    tracepoint!(ev2, ?e);
    tracepoint!(ev3, %e);
    tracepoint!(ev4, key);
}

fn more_habits() {
    let x = 3;
    tracepoint!(ev5, "message {}", x);
    tracepoint!(ev6, a.b: u32 = 1);
    tracepoint!(Level::INFO, ev7, n: u32 = 1);
    tracepoint!(name: "ev8", n: u32 = 1);
    tracepoint!(ev9, n: u32 = 1, "done");
}
