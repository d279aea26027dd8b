//! Linux: the system calls behind the runtime (open, ioctl, writev, fstat…), the loader's constructor and
//! destructor sections, and fork handlers.

use std::ffi::CStr;

pub(crate) use libc::iovec as IoVec;
pub(crate) use libc::{E2BIG, EACCES, EADDRINUSE, EAGAIN, EBADF, EINVAL, EMFILE, ENOENT, ENOMEM, EPERM};

/// Why user_events cannot exist here: `None`, it may (the kernel will tell).
pub(crate) const UNSUPPORTED: Option<&str> = None;

/// Runs `$load` from `.init_array` (before `main`, or when a shared library loads) and `$unload` from
/// `.fini_array` (at exit, or when it unloads). Priority 101, the first not reserved for the C runtime (std's
/// argument set-up is 99): before every constructor of default priority, so their events are registered.
macro_rules! constructor {
    ($load:path, $unload:path) => {
        extern "C" fn __ue_on_load() {
            $load();
        }
        extern "C" fn __ue_on_unload() {
            $unload();
        }
        #[used]
        #[link_section = ".init_array.00101"]
        static INIT: extern "C" fn() = __ue_on_load;
        #[used]
        #[link_section = ".fini_array"]
        static FINI: extern "C" fn() = __ue_on_unload;
    };
}
pub(crate) use constructor;

/// An ELF note of this image, named [`NOTE_NAME`] and of type `$ty`, loaded with it (a `PT_NOTE` segment, kept
/// by the linker), whose 8-byte descriptor is the offset from itself to static `$target`: how the other images
/// of the process find `$target` ([`main_program_note`]). A relative offset: no relocation at load.
macro_rules! image_note {
    ($ty:expr, $target:path) => {
        ::core::arch::global_asm!(
            ".pushsection .note.ue_runtime, \"aR\", \"note\"",
            ".balign 4",
            ".4byte 2f - 1f",
            ".4byte 8",
            ".4byte {ty}",
            "1: .asciz \"ue_runtime\"",
            "2: .balign 4",
            "3: .8byte {target} - 3b",
            ".popsection",
            ty = const $ty,
            target = sym $target,
        );
    };
}
pub(crate) use image_note;

/// The name of the notes [`image_note!`] writes, with its NUL.
const NOTE_NAME: &[u8] = b"ue_runtime\0";

#[cfg(target_pointer_width = "64")]
type Phdr = libc::Elf64_Phdr;
#[cfg(target_pointer_width = "32")]
type Phdr = libc::Elf32_Phdr;

/// The address of the descriptor of the main program's first [`image_note!`] of type `ty`, if it has one: from
/// the program headers the kernel passed in the auxiliary vector, reading memory only (no lock, nothing
/// allocated: safe in a signal handler). None when they give no load address (no `PT_PHDR`: a static
/// executable, which loads no library to share with).
pub(crate) fn main_program_note(ty: u32) -> Option<*const u8> {
    // SAFETY: getauxval has no preconditions.
    let (at, n) = unsafe { (libc::getauxval(libc::AT_PHDR), libc::getauxval(libc::AT_PHNUM)) };
    if at == 0 || n == 0 {
        return None;
    }
    // SAFETY: AT_PHDR and AT_PHNUM describe the main program's program headers, mapped for the process's life.
    let phdrs = unsafe { std::slice::from_raw_parts(at as usize as *const Phdr, n as usize) };
    let p = phdrs.iter().find(|p| p.p_type == libc::PT_PHDR)?;
    notes_in((at as usize).wrapping_sub(p.p_vaddr as usize), phdrs, ty)
}

/// The first [`image_note!`] of type `ty` in the `PT_NOTE` segments of `phdrs`, an image loaded at `bias`.
fn notes_in(bias: usize, phdrs: &[Phdr], ty: u32) -> Option<*const u8> {
    phdrs.iter().filter(|p| p.p_type == libc::PT_NOTE).find_map(|p| {
        let start = bias.wrapping_add(p.p_vaddr as usize) as *const u8;
        // SAFETY: a PT_NOTE segment of a loaded image is mapped, p_memsz bytes of notes.
        unsafe { find_note(start, p.p_memsz as usize, ty) }
    })
}

/// The descriptor of the first note named [`NOTE_NAME`] of type `ty`, with an 8-byte descriptor, among the
/// notes of the `len` bytes at `start`.
///
/// # Safety
/// `start` points at `len` readable bytes of ELF notes (4-byte aligned, as a `PT_NOTE` segment is).
unsafe fn find_note(start: *const u8, len: usize, ty: u32) -> Option<*const u8> {
    let word = |at: usize| {
        // SAFETY: read only below `len` (checked by the caller of `word`), within the caller's bytes.
        unsafe { start.add(at).cast::<u32>().read_unaligned() as usize }
    };
    // Checked: sizes near u32::MAX must end the scan, not overflow a 32-bit usize.
    let after = |at: usize, n: usize| at.checked_add(n)?.checked_next_multiple_of(4);
    let mut at = 0;
    while at + 12 <= len {
        let (namesz, descsz, kind) = (word(at), word(at + 4), word(at + 8));
        let desc = after(at + 12, namesz)?;
        let next = after(desc, descsz)?;
        if next > len {
            return None;
        }
        // SAFETY: the name's namesz bytes lie below `desc`, within the bytes.
        let name = unsafe { std::slice::from_raw_parts(start.add(at + 12), namesz) };
        if name == NOTE_NAME && kind == ty as usize && descsz == 8 {
            // SAFETY: desc + 8 <= next <= len.
            return Some(unsafe { start.add(desc) });
        }
        at = next;
    }
    None
}

/// The calling thread's errno.
fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// `open(path, O_RDWR | O_CLOEXEC)`, or the errno.
pub(crate) fn open_rdwr(path: &CStr) -> Result<i32, i32> {
    // SAFETY: path is a valid NUL-terminated string.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
    if fd >= 0 {
        Ok(fd)
    } else {
        Err(errno())
    }
}

/// Closes `fd`.
///
/// # Safety
/// `fd` is a descriptor the caller owns and nothing uses any more.
pub(crate) unsafe fn close(fd: i32) {
    // SAFETY: the caller's contract.
    unsafe { libc::close(fd) };
}

/// The soft `RLIMIT_NOFILE`.
pub(crate) fn nofile_limit() -> Option<u64> {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: lim is a valid rlimit to fill.
    (unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &raw mut lim) } == 0).then_some(lim.rlim_cur)
}

/// `fcntl(fd, F_DUPFD_CLOEXEC, floor)`: a copy of `fd` at the lowest free number ≥ `floor`.
pub(crate) fn dup_at_least(fd: i32, floor: i32) -> Option<i32> {
    // SAFETY: F_DUPFD_CLOEXEC creates a new descriptor and leaves fd alone; a bad fd gives EBADF.
    let high = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, floor) };
    (high >= 0).then_some(high)
}

/// The (device, inode) of the file open at `fd`, or the errno (`EBADF`: nothing open there).
pub(crate) fn identity(fd: i32) -> Result<(u64, u64), i32> {
    // SAFETY: st is plain data for fstat to fill.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: st is a valid stat buffer; a bad fd gives EBADF.
    if unsafe { libc::fstat(fd, &raw mut st) } != 0 {
        return Err(errno());
    }
    Ok((st.st_dev, st.st_ino))
}

/// CLOCK_MONOTONIC in nanoseconds (through the vDSO: no system call). Cannot fail for that clock.
pub(crate) fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid timespec to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &raw mut ts) };
    (ts.tv_sec as u64).wrapping_mul(1_000_000_000).wrapping_add(ts.tv_nsec as u64)
}

/// The calling thread's id.
pub(crate) fn tid() -> i32 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() }
}

pub(crate) use ue_abi::{register_bit as register, unregister_bit as unregister};

/// `writev(2)`, returning `-errno` on failure. On x86_64 the system call is made here, not through libc's
/// wrapper: a tracepoint is then no thread-cancellation point, and pays neither the wrapper's multi-threaded
/// cancellation bookkeeping nor errno.
///
/// # Safety
/// `iov[..n]` must be initialised iovecs pointing at live buffers.
#[inline(always)]
pub(crate) unsafe fn writev(fd: i32, iov: *const IoVec, n: usize) -> isize {
    #[cfg(target_arch = "x86_64")]
    {
        let rc: isize;
        // `syscall` clobbers rcx and r11 only, and touches no user stack.
        // SAFETY: writev reads iov[..n] and the buffers they name, which the caller's contract keeps valid.
        unsafe {
            std::arch::asm!(
                "syscall",
                inlateout("rax") libc::SYS_writev as isize => rc,
                in("rdi") fd,
                in("rsi") iov,
                in("rdx") n,
                lateout("rcx") _,
                lateout("r11") _,
                options(nostack, preserves_flags),
            );
        }
        rc
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        // SAFETY: the caller's contract.
        let rc = unsafe { libc::writev(fd, iov, n as libc::c_int) };
        if rc < 0 {
            -(errno() as isize)
        } else {
            rc
        }
    }
}

/// Installs fork handlers (`pthread_atfork`). glibc drops a shared library's handlers when it unloads.
pub(crate) fn at_fork(prepare: extern "C" fn(), parent: extern "C" fn(), child: extern "C" fn()) {
    // SAFETY: the handlers are plain functions of this image, mapped as long as it is.
    unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
}

/// The loaded object (executable or shared library) that holds `addr`.
fn image_of(addr: *const libc::c_void) -> Option<libc::Dl_info> {
    // SAFETY: Dl_info is plain data for dladdr to fill.
    let mut info: libc::Dl_info = unsafe { core::mem::zeroed() };
    // SAFETY: dladdr only reads loader tables; any address is valid to ask about.
    (unsafe { libc::dladdr(addr, &raw mut info) } != 0).then_some(info)
}

/// True when `addr` lies in a shared library rather than in the main executable.
pub(crate) fn in_shared_object(addr: *const u8) -> bool {
    // SAFETY: getauxval has no preconditions; AT_PHDR is the executable's program headers.
    let phdr = unsafe { libc::getauxval(libc::AT_PHDR) } as *const libc::c_void;
    match (image_of(addr.cast()), image_of(phdr)) {
        (Some(ours), Some(main)) => ours.dli_fbase != main.dli_fbase,
        _ => false,
    }
}

/// Keeps the shared library holding `addr` mapped for the life of the process (`RTLD_NODELETE`).
pub(crate) fn pin_library(addr: *const u8) -> bool {
    let Some(ours) = image_of(addr.cast()) else { return false };
    if ours.dli_fname.is_null() {
        return false;
    }
    // SAFETY: dlopen with RTLD_NOLOAD only references an object already loaded: this one, by its loader name.
    !unsafe { libc::dlopen(ours.dli_fname, libc::RTLD_NOW | libc::RTLD_NOLOAD | libc::RTLD_NODELETE) }.is_null()
}

/// Whether environment variable `name` is set to `value`: libc's `getenv`, which takes no lock and allocates
/// nothing (std's takes its environment lock; the program's own `setenv` from another thread at the same time
/// is the race every `getenv` has).
pub(crate) fn env_is(name: &CStr, value: &[u8]) -> bool {
    // SAFETY: name is NUL-terminated; getenv returns NULL or a NUL-terminated string of the environment.
    let v = unsafe { libc::getenv(name.as_ptr()) };
    // SAFETY: a non-NULL result is a valid C string, read at once.
    !v.is_null() && unsafe { CStr::from_ptr(v) }.to_bytes() == value
}
