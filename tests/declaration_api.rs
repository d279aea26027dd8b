//! Kernel-backed tests of ue-runtime through its plain declaration API (no macros): enablement, every field
//! type, fork, clone, exec, and the unavailable cases.

use std::process::Command;
use std::time::Duration;
use ue_runtime::status;
use ue_test_support::*;

ue_runtime::static_tracepoint!(static ENABLE = "ue_t_enable u32 v");

ue_runtime::static_tracepoint!(static TYPES = "ue_t_types u8 a; u16 b; u32 c; u64 d; s8 e; s16 f; s32 g; s64 h; u64 us; s64 is; u8 flag; u32 ch; __rel_loc char[] s; __rel_loc u8[] bytes");

ue_runtime::static_tracepoint!(static FORK = "ue_t_fork u32 who");

ue_runtime::static_tracepoint!(static CLONE = "ue_t_clone u32 who");

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn registered_before_the_test_runs_with_no_problem() {
    let s = status();
    assert!(s.is_ok(), "status: {s}");
    assert!(ENABLE.is_registered() && TYPES.is_registered());
    assert!(event_exists("ue_t_enable") && event_exists("ue_t_types"));
    assert!(read_file("events/user_events/ue_t_enable/format").contains("field:u32 v;"));
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn enable_word_follows_the_tracer_and_stops_after_unregister() {
    assert!(!ENABLE.is_enabled());
    set_enabled("ue_t_enable", true);
    wait_enabled(|| ENABLE.is_enabled(), true); // the kernel sets bit 31 on enable
    set_enabled("ue_t_enable", false);
    wait_enabled(|| ENABLE.is_enabled(), false); // and clears it on disable

    set_enabled("ue_t_enable", true);
    wait_enabled(|| ENABLE.is_enabled(), true);
    ue_runtime::shutdown();
    assert!(!ENABLE.is_enabled(), "unregistering clears the bit");
    // The event lives on while enabled in ftrace; re-enabling must not touch the unregistered word.
    set_enabled("ue_t_enable", false);
    set_enabled("ue_t_enable", true);
    // Time for a deferred kernel write, were there one.
    std::thread::sleep(Duration::from_millis(100));
    assert!(!ENABLE.is_enabled(), "an unregistered word is left alone");
    set_enabled("ue_t_enable", false);

    ue_runtime::init();
    assert!(status().is_ok(), "registers again: {}", status());
    set_enabled("ue_t_enable", true);
    wait_enabled(|| ENABLE.is_enabled(), true);
    set_enabled("ue_t_enable", false);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn every_field_type_round_trips_through_the_trace_file() {
    set_enabled("ue_t_types", true);
    clear_trace();
    let bytes: &[u8] = &[0xde, 0xad, 0x00, 0xbe, 0xef];
    let (a, b, c, d, e, f, g, h, i, j, k, l) = EVERY_INT;
    TYPES.emit(&(a, b, c, d, e, f, g, h, i, j, k, l, "hello ue", bytes));
    set_enabled("ue_t_types", false);
    let recs = records("ue_t_types");
    assert_eq!(recs.len(), 1, "one record: {recs:?}");
    let mut want = every_int_in_trace(["a", "b", "c", "d", "e", "f", "g", "h", "us", "is", "flag", "ch"]);
    want.extend(["s=hello ue".to_string(), bytes_field("bytes", bytes)]);
    assert_eq!(recs[0], want.join(" "));
    assert_eq!(status().dropped_writes, 0);
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn fork_child_sees_later_enables_writes_with_its_pid_and_its_exit_keeps_the_parent_enabled() {
    assert!(!FORK.is_enabled());
    clear_trace();
    // SAFETY: the child only polls an atomic, sleeps, writes and exits.
    let child = unsafe { libc::fork() };
    assert!(child >= 0);
    if child == 0 {
        for _ in 0..200 {
            if FORK.is_enabled() {
                FORK.emit(&(2u32,));
                // exit(), not _exit(): the child's .fini_array unregisters its own copy of the registration.
                // SAFETY: exit ends the child.
                unsafe { libc::exit(0) };
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        // SAFETY: ends the child.
        unsafe { libc::_exit(1) };
    }
    std::thread::sleep(Duration::from_millis(100));
    set_enabled("ue_t_fork", true);
    let mut st = 0;
    // SAFETY: child is our child.
    assert_eq!(unsafe { libc::waitpid(child, &raw mut st, 0) }, child);
    assert!(libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0, "child saw the enable after COW (status {st:#x})");
    assert!(FORK.is_enabled(), "the child's exit and unregister leave the parent enabled");
    FORK.emit(&(1u32,));
    set_enabled("ue_t_fork", false);
    assert!(!FORK.is_enabled());

    let recs = records("ue_t_fork");
    let pids = record_pids("ue_t_fork");
    assert_eq!(recs.len(), 2, "{recs:?}");
    assert!(recs[0].contains(&int_field("who", 4, 2)) && recs[1].contains(&int_field("who", 4, 1)), "{recs:?}");
    // SAFETY: gettid has no preconditions. (The trace shows the writing thread's id.)
    let me = unsafe { libc::gettid() } as u32;
    assert_eq!(pids, vec![child as u32, me], "records carry the writer's pid");
}

extern "C" fn clone_child(_: *mut libc::c_void) -> libc::c_int {
    for _ in 0..200 {
        if CLONE.is_enabled() {
            CLONE.emit(&(3u32,));
            return 0;
        }
        // SAFETY: usleep has no preconditions.
        unsafe { libc::usleep(10_000) };
    }
    1
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn clone_with_shared_memory_sees_enables() {
    const STACK: usize = 256 * 1024;
    let mut stack = vec![0u8; STACK];
    clear_trace();
    // The child runs clone_child on its own stack in our address space.
    // SAFETY: we wait for the child before the stack is freed.
    let child = unsafe {
        libc::clone(
            clone_child,
            stack.as_mut_ptr().add(STACK).cast(),
            libc::CLONE_VM | libc::SIGCHLD,
            std::ptr::null_mut(),
        )
    };
    assert!(child > 0, "clone: {}", std::io::Error::last_os_error());
    set_enabled("ue_t_clone", true);
    let mut st = 0;
    // SAFETY: child is our child.
    assert_eq!(unsafe { libc::waitpid(child, &raw mut st, 0) }, child);
    set_enabled("ue_t_clone", false);
    assert!(libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0, "clone child saw the enable (status {st:#x})");
    assert_eq!(record_pids("ue_t_clone"), vec![child as u32]);
    drop(stack);
}

/// Runs examples/status_probe with `cmd`'s setup and returns its output (`ok=… registered=… data_fds=…` and
/// `status: …`, once or twice).
fn probe(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("status_probe: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "status_probe failed:\n{text}{}", String::from_utf8_lossy(&out.stderr));
    text
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn exec_registers_afresh_without_eaddrinuse_and_no_descriptor_leaks() {
    assert_eq!(data_fd_numbers().len(), 1);
    // fork + exec of a program sharing our ue_t_enable: the kernel dropped the copied registrations at exec.
    let out = probe(&mut Command::new(example("status_probe")));
    assert!(out.starts_with("ok=true registered=1/1 data_fds=1\n"), "the exec'd image: {out}");
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn without_tracefs_the_program_runs_says_why_and_init_recovers_once_it_is_mounted() {
    let mut cmd = without_mounts(&example("status_probe"), &[c"/sys/kernel/tracing", c"/sys/kernel/debug"]);
    let out = probe(cmd.arg("--mount-tracefs"));
    let reports: Vec<&str> = out.lines().filter(|l| l.starts_with("ok=")).collect();
    assert!(reports[0].starts_with("ok=false registered=0/1") && out.contains("tracefs is not mounted"), "{out}");
    assert!(reports[1].starts_with("ok=true registered=1/1"), "after mounting tracefs and init(): {out}");
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn debugfs_is_a_fallback_when_tracefs_is_not_mounted() {
    let out = probe(&mut without_mounts(&example("status_probe"), &[c"/sys/kernel/tracing"]));
    assert!(out.starts_with("ok=true") && out.contains("through /sys/kernel/debug/tracing/user_events_data"), "{out}");
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn without_permission_the_program_runs_and_says_why() {
    let public = Public::new(); // uid 65534 may not enter the checkout
    let mut nobody = Command::new(public.copy(&example("status_probe")));
    nobody.current_dir("/");
    std::os::unix::process::CommandExt::uid(&mut nobody, 65534);
    std::os::unix::process::CommandExt::gid(&mut nobody, 65534);
    let out = probe(&mut nobody);
    assert!(out.starts_with("ok=false registered=0/1"), "{out}");
    assert!(out.contains("permission denied") && out.contains("user_events_data"), "{out}");
}

/// A command for `exe` run in a private mount namespace where `unmount` are unmounted.
fn without_mounts(exe: &std::path::Path, unmount: &'static [&'static std::ffi::CStr]) -> Command {
    let mut cmd = Command::new(exe);
    // SAFETY: pre_exec runs in the forked child before exec and only makes syscalls.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
            if libc::unshare(libc::CLONE_NEWNS) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::mount(
                c"none".as_ptr(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            );
            for m in unmount {
                libc::umount2(m.as_ptr(), libc::MNT_DETACH);
            }
            Ok(())
        });
    }
    cmd
}

#[test]
fn on_this_host_status_explains_itself() {
    // Runs everywhere: without user_events the status must say why; with it, registration must be fine.
    let s = status();
    if std::path::Path::new("/sys/kernel/tracing/user_events_data").exists() && s.unavailable.is_none() {
        assert!(s.is_ok(), "{s}");
    } else {
        let why = s.unavailable.clone().expect("unavailable must say why");
        assert!(
            why.contains("user_events_data") || why.contains("tracefs is not mounted"),
            "status names the file or the mount: {why}"
        );
        assert!(!ENABLE.is_enabled() && !ENABLE.is_registered());
        ENABLE.emit(&(1u32,));
    }
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn concurrent_init_and_writes_are_safe_and_idempotent() {
    // Unregistered, then registered again by 8 racing threads: a double registration of one enable word would
    // make the kernel answer EADDRINUSE, which status() would report.
    ue_runtime::shutdown();
    set_enabled("ue_t_enable", true);
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..20 {
                    ue_runtime::init();
                }
            });
        }
        s.spawn(|| {
            for i in 0..2000u32 {
                ENABLE.emit(&(i,));
            }
        });
    });
    set_enabled("ue_t_enable", false);
    let st = status();
    assert!(st.is_ok(), "{st}");
    assert_eq!(st.registered, st.declared, "each tracepoint registered once: {st}");
    assert_eq!(st.dropped_writes, 0, "{st}");
}
