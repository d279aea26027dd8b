//! Oversized dynamic data (> 64 KiB) and interior NULs give well-formed records: the kernel accepts every write
//! and ftrace decodes what fits its buffer. (Exact truncation lengths and layout: unit tests in field.rs.)
//!
//! Measured in the 6.12 bed: ftrace keeps a user event only if it fits one 4 KiB page (raising
//! `buffer_subbuf_size_kb` does not change that), and drops larger ones while the write still succeeds.

use ue_runtime::status;
use ue_test_support::*;

ue_runtime::static_tracepoint!(static BIG = "ue_t_big u32 n; __rel_loc char[] s; __rel_loc u8[] b");

/// Entries now in the ring buffer, over all CPUs (per_cpu/cpuN/stats).
fn entries() -> u64 {
    let mut n = 0;
    for cpu in std::fs::read_dir(format!("{TRACEFS}/per_cpu")).unwrap() {
        let stats = std::fs::read_to_string(cpu.unwrap().path().join("stats")).unwrap();
        n +=
            stats.lines().find_map(|l| l.strip_prefix("entries: ")).and_then(|v| v.trim().parse::<u64>().ok()).unwrap();
    }
    n
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn oversized_and_nul_data_make_well_formed_records() {
    set_enabled("ue_t_big", true);
    clear_trace();
    let s = format!("a{}", "é".repeat(40_000));
    let b = vec![0x5au8; 70_000];
    BIG.emit(&(1u32, s.as_str(), b.as_slice()));
    assert_eq!(status().dropped_writes, 0, "the kernel accepted the truncated 64 KiB record: {}", status());
    assert_eq!(entries(), 0, "ftrace drops records over one page (documented in README)");
    assert_eq!(status().oversized_records, 1, "and the status counts the record a tracer may have dropped");

    let near_page = "y".repeat(ue_runtime::FTRACE_MAX_PAYLOAD - 12 - 1); // the largest that ftrace keeps
    BIG.emit(&(2u32, near_page.as_str(), &[][..]));
    BIG.emit(&(3u32, "ab\0cd", &[][..]));
    BIG.emit(&(4u32, "", &[0u8][..]));
    set_enabled("ue_t_big", false);
    let st = status();
    assert_eq!(st.dropped_writes, 0, "the kernel's validator accepted every record: {st}");
    assert_eq!(st.oversized_records, 1, "{st}");
    assert_eq!(
        records("ue_t_big"),
        vec![
            format!("{} s={near_page} b=", int_field("n", 4, 2)),
            format!("{} s=ab b=", int_field("n", 4, 3)),
            format!("{} s= b=00", int_field("n", 4, 4)),
        ],
        "text stops at an interior NUL; an empty string is just its NUL"
    );
}
