//! The user_events ABI of `include/uapi/linux/user_events.h` (Linux 6.4+, remote-write enablement): the
//! structures, the ioctl numbers and flags, and the two calls made with them (on Linux: the ABI exists nowhere
//! else).

/// Flag: the event outlives its last registration (needs CAP_PERFMON).
pub const USER_EVENT_REG_PERSIST: u16 = 1 << 0;
/// Flag: the event may be registered with several formats (it appears under `user_events_multi`).
pub const USER_EVENT_REG_MULTI_FORMAT: u16 = 1 << 1;

/// The bit the kernel owns in every enable word ue registers; the others are free for in-process consumers.
pub const ENABLE_BIT: u8 = 31;

const DIAG_IOC_MAGIC: u8 = b'*';
/// `_IOC(dir, '*', nr, sizeof(ptr))`: the kernel encodes a pointer's size, not the struct's.
const fn ioc(dir: u64, nr: u64) -> u64 {
    ioc_code(dir, DIAG_IOC_MAGIC, nr, size_of::<*const u8>())
}
/// `_IOC(dir, type, nr, size)` of include/uapi/asm-generic/ioctl.h.
pub(crate) const fn ioc_code(dir: u64, ty: u8, nr: u64, size: usize) -> u64 {
    (dir << 30) | ((size as u64) << 16) | ((ty as u64) << 8) | nr
}
/// `_IOC_NONE`, `_IOC_WRITE`, `_IOC_READ`.
pub(crate) const IOC_NONE: u64 = 0;
pub(crate) const IOC_WRITE: u64 = 1;
pub(crate) const IOC_READ: u64 = 2;
/// `_IOWR('*', 0, struct user_reg *)`: register an event.
pub const DIAG_IOCSREG: u64 = ioc(IOC_READ | IOC_WRITE, 0);
/// `_IOW('*', 1, char *)`: delete an event by name (only when nothing uses it).
pub const DIAG_IOCSDEL: u64 = ioc(IOC_WRITE, 1);
/// `_IOW('*', 2, struct user_unreg *)`: drop one registration (one enable address and bit).
pub const DIAG_IOCSUNREG: u64 = ioc(IOC_WRITE, 2);

/// `struct user_reg`.
#[repr(C, packed)]
#[derive(Debug, Clone, Copy, Default)]
pub struct UserReg {
    /// Input: size of this structure.
    pub size: u32,
    /// Input: bit in the enable word the kernel sets while the event is enabled.
    pub enable_bit: u8,
    /// Input: size of the enable word in bytes (4 or 8).
    pub enable_size: u8,
    /// Input: `USER_EVENT_REG_*` flags.
    pub flags: u16,
    /// Input: address of the enable word.
    pub enable_addr: u64,
    /// Input: address of the NUL-terminated `"name field; field"` description.
    pub name_args: u64,
    /// Output: index to put first in every write of this event.
    pub write_index: u32,
}

/// `struct user_unreg`.
#[repr(C, packed)]
#[derive(Debug, Clone, Copy, Default)]
pub struct UserUnreg {
    /// Input: size of this structure.
    pub size: u32,
    /// Input: the bit given at registration.
    pub disable_bit: u8,
    /// Reserved, zero.
    pub reserved: u8,
    /// Reserved, zero.
    pub reserved2: u16,
    /// Input: the enable address given at registration.
    pub disable_addr: u64,
}

const _: () = {
    assert!(size_of::<UserReg>() == 28);
    assert!(size_of::<UserUnreg>() == 16);
    assert!(core::mem::offset_of!(UserReg, enable_bit) == 4);
    assert!(core::mem::offset_of!(UserReg, flags) == 6);
    assert!(core::mem::offset_of!(UserReg, enable_addr) == 8);
    assert!(core::mem::offset_of!(UserReg, name_args) == 16);
    assert!(core::mem::offset_of!(UserReg, write_index) == 24);
    assert!(core::mem::offset_of!(UserUnreg, disable_addr) == 8);
};
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(DIAG_IOCSREG == 0xC008_2A00);
    assert!(DIAG_IOCSDEL == 0x4008_2A01);
    assert!(DIAG_IOCSUNREG == 0x4008_2A02);
};

/// `DIAG_IOCSREG` on `fd` (a `user_events_data` descriptor): registers `desc` with the 32-bit enable word at
/// `word`, bit [`ENABLE_BIT`]. The write index, or the errno. Allocates nothing.
///
/// # Safety
/// Until the registration is dropped (`unregister`, exec or exit), the kernel writes the word at `word`: it
/// must stay mapped, a naturally aligned `u32` of this process. (`desc` is copied during the call.)
#[cfg(target_os = "linux")]
pub unsafe fn register(fd: i32, word: *const u32, desc: &core::ffi::CStr, flags: u16) -> Result<u32, i32> {
    // SAFETY: the caller's contract.
    unsafe { register_bit(fd, word, ENABLE_BIT, desc, flags) }
}

/// [`register`] on bit `bit` (0..=31) of the word: several events may share one word, each on its own bit.
///
/// # Safety
/// As for [`register`].
#[cfg(target_os = "linux")]
pub unsafe fn register_bit(fd: i32, word: *const u32, bit: u8, desc: &core::ffi::CStr, flags: u16) -> Result<u32, i32> {
    let mut reg = UserReg {
        size: size_of::<UserReg>() as u32,
        enable_bit: bit,
        enable_size: 4,
        flags,
        enable_addr: word as u64,
        name_args: desc.as_ptr() as u64,
        write_index: 0,
    };
    // SAFETY: reg is a valid user_reg; the word it names outlives the registration (the caller's contract).
    let rc = unsafe { libc::ioctl(fd, DIAG_IOCSREG as _, &raw mut reg) };
    if rc == 0 {
        Ok(reg.write_index)
    } else {
        Err(errno())
    }
}

/// `DIAG_IOCSUNREG` on `fd`: drops this process's registration of the enable word at `word`, bit
/// [`ENABLE_BIT`]. The errno on failure (`ENOENT`: no such registration in this thread's context).
#[cfg(target_os = "linux")]
pub fn unregister(fd: i32, word: *const u32) -> Result<(), i32> {
    unregister_bit(fd, word, ENABLE_BIT)
}

/// [`unregister`] of the registration on bit `bit` of the word.
#[cfg(target_os = "linux")]
pub fn unregister_bit(fd: i32, word: *const u32, bit: u8) -> Result<(), i32> {
    let unreg = UserUnreg {
        size: size_of::<UserUnreg>() as u32,
        disable_bit: bit,
        reserved: 0,
        reserved2: 0,
        disable_addr: word as u64,
    };
    // SAFETY: unreg is a valid user_unreg; the kernel only reads it, and an unknown address is refused.
    let rc = unsafe { libc::ioctl(fd, DIAG_IOCSUNREG as _, &raw const unreg) };
    if rc == 0 {
        Ok(())
    } else {
        Err(errno())
    }
}

#[cfg(target_os = "linux")]
fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}
