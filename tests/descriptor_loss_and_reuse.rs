//! The runtime never writes into, unregisters through or closes a descriptor that is not its own
//! `user_events_data`, and recovers when the program closes or replaces it. Each scenario runs in a forked child,
//! since it damages the process's descriptor table.

use std::os::fd::AsRawFd;
use std::sync::atomic::AtomicU32;
use ue_runtime::status;
use ue_test_support::*;

ue_runtime::static_tracepoint!(static CLOSED = "ue_t_fd_closed u32 n");
ue_runtime::static_tracepoint!(static REPLACED = "ue_t_fd_replaced u32 n");
ue_runtime::static_tracepoint!(static LOWLIMIT = "ue_t_fd_lowlimit u32 n");
// The plugin's event, declared here too so that it outlives the plugin in the kernel.
ue_runtime::static_tracepoint!(static PLUGIN = "ue_plugin_call u32 n");

fn close_from_3() {
    // SAFETY: closes every descriptor from 3 up, as daemons do; the scenario owns the process.
    assert_eq!(unsafe { libc::close_range(3, u32::MAX, 0) }, 0, "{}", std::io::Error::last_os_error());
}

fn ns(fd: i32) -> String {
    std::fs::read_link(format!("/proc/self/fd/{fd}")).map_or_else(|e| e.to_string(), |p| p.display().to_string())
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn the_descriptor_sits_high_out_of_the_way_of_ordinary_reuse() {
    let fds = data_fd_numbers();
    assert_eq!(fds.len(), 1, "{fds:?}");
    assert!(fds[0] >= 512, "moved to a high number (RLIMIT_NOFILE is 1024 here): {fds:?}");
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn closed_descriptor_then_a_regular_file_no_record_lands_in_the_file_and_the_runtime_recovers() {
    in_child(|| {
        let before = status();
        assert!(before.is_ok(), "{before}");
        close_from_3();
        let path = format!("/tmp/ue-fd-closed-{}", std::process::id());
        let file = std::fs::File::create(&path).unwrap();
        assert_eq!(file.as_raw_fd(), 3, "the program's file takes the lowest free number");
        set_enabled("ue_t_fd_closed", true);
        clear_trace();
        for n in 0..10u32 {
            CLOSED.emit(&(n,));
        }
        set_enabled("ue_t_fd_closed", false);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "no event record landed in the program's file");
        let recs = records("ue_t_fd_closed");
        let want: Vec<String> = (1..10).map(|n| int_field("n", 4, n)).collect();
        assert_eq!(recs, want, "the write that found the descriptor closed is dropped; the rest are recorded");
        let s = status();
        assert_eq!((s.descriptor_closed, s.descriptor_replaced, s.descriptor_recovered), (1, 0, 1), "{s}");
        assert_eq!(s.dropped_writes - before.dropped_writes, 1, "{s}");
        assert!(s.is_ok(), "{s}");
        assert!(s.to_string().contains("closed the runtime's descriptor 1 times"), "{s}");
        assert_eq!(ns(3), path, "the program's file is still open where it was");
        let fds = data_fd_numbers();
        assert!(fds.len() == 1 && fds[0] >= 512, "a new descriptor, high again: {fds:?}");
        let _ = std::fs::remove_file(&path);
    })
    .unwrap();
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn dup2_over_the_descriptor_loses_events_until_init_then_renews_without_closing_the_programs_file() {
    in_child(|| {
        let before = status();
        let fd = data_fd_numbers()[0];
        let null = std::fs::OpenOptions::new().write(true).open("/dev/null").unwrap();
        // SAFETY: replaces the runtime's descriptor deliberately: the case README says cannot be defended.
        assert_eq!(unsafe { libc::dup2(null.as_raw_fd(), fd) }, fd);
        set_enabled("ue_t_fd_replaced", true);
        clear_trace();
        REPLACED.emit(&(1u32,));
        assert!(records("ue_t_fd_replaced").is_empty(), "the write went to /dev/null");
        assert_eq!(
            status().dropped_writes,
            before.dropped_writes,
            "and succeeded there: nothing to notice without a syscall a write"
        );
        ue_runtime::init();
        REPLACED.emit(&(2u32,));
        set_enabled("ue_t_fd_replaced", false);
        assert_eq!(records("ue_t_fd_replaced"), vec![int_field("n", 4, 2)], "recorded after init() renewed");
        let s = status();
        assert_eq!((s.descriptor_closed, s.descriptor_replaced, s.descriptor_recovered), (0, 1, 1), "{s}");
        assert!(s.is_ok(), "{s}");
        assert_eq!(ns(fd), "/dev/null", "the program's file at that number is left open");
    })
    .unwrap();
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn with_a_limit_too_low_for_the_high_move_the_runtime_still_works() {
    in_child(|| {
        close_from_3();
        let lim = libc::rlimit { rlim_cur: 64, rlim_max: 64 };
        // SAFETY: lowers this child's own limit.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raw const lim) }, 0);
        // Fill every number but 3 and 4, so the move to [32, 64) fails.
        let mut held = Vec::new();
        while let Ok(f) = std::fs::File::open("/dev/null") {
            held.push(f);
        }
        held.retain(|f| f.as_raw_fd() > 4);
        assert_eq!(held.len(), 64 - 5);
        set_enabled("ue_t_fd_lowlimit", true);
        clear_trace();
        LOWLIMIT.emit(&(0u32,)); // finds the descriptor closed and reopens it at 3
        LOWLIMIT.emit(&(1u32,));
        let recs = records("ue_t_fd_lowlimit");
        set_enabled("ue_t_fd_lowlimit", false);
        assert_eq!(recs, vec![int_field("n", 4, 1)]);
        assert!(ns(3).ends_with("user_events_data"), "kept at the number open gave: {}", ns(3));
        assert!(status().is_ok(), "{}", status());
    })
    .unwrap();
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn dlclose_after_close_range_closes_none_of_the_programs_files_and_unregisters_through_a_fresh_descriptor() {
    in_child(|| {
        let plugin = Plugin::load();
        // SAFETY: the plugin's extern "C" function of this type, called while it is loaded.
        let word = unsafe { plugin.sym::<extern "C" fn() -> *const AtomicU32>(c"ue_plugin_enable_word") };
        let addr = word() as usize;
        let before = data_fd_numbers();
        assert_eq!(before.len(), 2, "the executable's and the library's descriptors: {before:?}");

        close_from_3();
        // The program's own files, one of them at each number the runtime used.
        let files: Vec<std::fs::File> = (0..4).map(|_| std::fs::File::open("/dev/zero").unwrap()).collect();
        for &n in &before {
            // SAFETY: puts a program file at a number the runtime used to have.
            assert_eq!(unsafe { libc::dup2(files[0].as_raw_fd(), n) }, n);
        }
        let mut mine: Vec<i32> = files.iter().map(AsRawFd::as_raw_fd).collect();
        mine.extend(&before);

        plugin.unload();
        for n in &mine {
            assert_eq!(ns(*n), "/dev/zero", "descriptor {n} of the program survived the unload");
        }
        assert_eq!(
            word_at_after_enable(addr, "ue_plugin_call"),
            0,
            "the kernel wrote into the unloaded library's memory"
        );
        assert!(PLUGIN.is_registered());
    })
    .unwrap();
}
