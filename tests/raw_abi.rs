//! The test bed's own proof: the raw user_events ABI (libc only, no project crate) works in this kernel.

use std::ffi::CString;
use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};

const TRACEFS: &str = "/sys/kernel/tracing";
const EVENT: &str = "ue_raw_abi";
// _IOWR('*', 0, struct user_reg *) and _IOW('*', 2, struct user_unreg *): the size is a pointer's.
const DIAG_IOCSREG: libc::c_ulong = 0xC008_2A00;
const DIAG_IOCSUNREG: libc::c_ulong = 0x4008_2A02;

#[repr(C, packed)]
struct UserReg {
    size: u32,
    enable_bit: u8,
    enable_size: u8,
    flags: u16,
    enable_addr: u64,
    name_args: u64,
    write_index: u32,
}

#[repr(C, packed)]
struct UserUnreg {
    size: u32,
    disable_bit: u8,
    reserved: u8,
    reserved2: u16,
    disable_addr: u64,
}

static ENABLED: AtomicU32 = AtomicU32::new(0);

fn tracefs_write(rel: &str, data: &str) {
    let path = format!("{TRACEFS}/{rel}");
    let mut f =
        std::fs::OpenOptions::new().write(true).truncate(true).open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    f.write_all(data.as_bytes()).unwrap_or_else(|e| panic!("write {path}: {e}"));
}

#[test]
#[ignore = "needs user_events: cargo xtask test"]
fn raw_abi_enable_write_decode_disable() {
    let path = CString::new(format!("{TRACEFS}/user_events_data")).unwrap();
    // SAFETY: path is NUL-terminated.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
    assert!(fd >= 0, "open user_events_data: {}", std::io::Error::last_os_error());

    let name_args = CString::new(format!("{EVENT} u32 count; __rel_loc char[] msg")).unwrap();
    let mut reg = UserReg {
        size: size_of::<UserReg>() as u32,
        enable_bit: 31,
        enable_size: 4,
        flags: 0,
        enable_addr: ENABLED.as_ptr() as u64,
        name_args: name_args.as_ptr() as u64,
        write_index: 0,
    };
    // SAFETY: reg is a valid user_reg; the enable word and name outlive the registration.
    let rc = unsafe { libc::ioctl(fd, DIAG_IOCSREG, &mut reg) };
    assert_eq!(rc, 0, "DIAG_IOCSREG: {}", std::io::Error::last_os_error());
    assert_eq!(ENABLED.load(Ordering::Relaxed), 0, "nobody traces yet");

    tracefs_write(&format!("events/user_events/{EVENT}/enable"), "1");
    assert_eq!(ENABLED.load(Ordering::Relaxed), 1 << 31, "the kernel sets bit 31 on enable");
    tracefs_write("trace", "");

    let index = reg.write_index;
    let count: u32 = 42;
    let msg = b"hello raw abi\0";
    // __rel_loc: size << 16 | offset from the end of the loc word (the string follows it directly).
    let loc: u32 = (msg.len() as u32) << 16;
    let iov = [iovec(&index.to_ne_bytes()), iovec(&count.to_ne_bytes()), iovec(&loc.to_ne_bytes()), iovec(msg)];
    // SAFETY: every iovec points into a live local buffer.
    let n = unsafe { libc::writev(fd, iov.as_ptr(), iov.len() as i32) };
    assert_eq!(n, 4 + 4 + 4 + msg.len() as isize, "writev: {}", std::io::Error::last_os_error());

    let trace = std::fs::read_to_string(format!("{TRACEFS}/trace")).unwrap();
    let line = trace
        .lines()
        .find(|l| l.contains(&format!("{EVENT}:")))
        .unwrap_or_else(|| panic!("no {EVENT} record in trace:\n{trace}"));
    // The trace file prints integers as "0x2a (42)" (print_event_fields), strings as they are.
    assert!(line.contains("count=0x2a (42)") && line.contains("msg=hello raw abi"), "decoded record: {line}");

    tracefs_write(&format!("events/user_events/{EVENT}/enable"), "0");
    assert_eq!(ENABLED.load(Ordering::Relaxed), 0, "the kernel clears bit 31 on disable");

    let unreg = UserUnreg {
        size: size_of::<UserUnreg>() as u32,
        disable_bit: 31,
        reserved: 0,
        reserved2: 0,
        disable_addr: ENABLED.as_ptr() as u64,
    };
    // SAFETY: unreg is a valid user_unreg naming our registration.
    let rc = unsafe { libc::ioctl(fd, DIAG_IOCSUNREG, &unreg) };
    assert_eq!(rc, 0, "DIAG_IOCSUNREG: {}", std::io::Error::last_os_error());
    // SAFETY: fd is ours.
    unsafe { libc::close(fd) };
}

fn iovec(b: &[u8]) -> libc::iovec {
    libc::iovec { iov_base: b.as_ptr() as *mut _, iov_len: b.len() }
}
