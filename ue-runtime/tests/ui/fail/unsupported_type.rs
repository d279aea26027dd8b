use ue_runtime::tracepoint;

struct Mine;

fn main() {
    tracepoint!(ev, v: Vec<u32> = vec![1]);
    tracepoint!(ev2, m: Mine = Mine);
}
