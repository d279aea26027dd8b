use ue_runtime::tracepoint;

fn main() {
    tracepoint!(ev, café: u32 = 1);
    tracepoint!(ev2, a: u32 = 1, b: u32 = 2, a: u64 = 3);
    tracepoint!(ev3, common_pid: u32 = 1);
}
