//! The user_events ABI of `include/uapi/linux/user_events.h` (Linux 6.4+, remote-write enablement).

use static_assertions::{assert_eq_size, const_assert_eq};

/// Flag: the event outlives its last registration (needs CAP_PERFMON).
pub const USER_EVENT_REG_PERSIST: u16 = 1 << 0;
/// Flag: the event may be registered with several formats (it appears under `user_events_multi`).
pub const USER_EVENT_REG_MULTI_FORMAT: u16 = 1 << 1;

const DIAG_IOC_MAGIC: u64 = b'*' as u64;
/// `_IOC(dir, '*', nr, sizeof(ptr))`: the kernel encodes a pointer's size, not the struct's.
const fn ioc(dir: u64, nr: u64) -> u64 {
    (dir << 30) | ((size_of::<*const u8>() as u64) << 16) | (DIAG_IOC_MAGIC << 8) | nr
}
const IOC_WRITE: u64 = 1;
const IOC_READ: u64 = 2;
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

assert_eq_size!(UserReg, [u8; 28]);
assert_eq_size!(UserUnreg, [u8; 16]);
const_assert_eq!(core::mem::offset_of!(UserReg, enable_bit), 4);
const_assert_eq!(core::mem::offset_of!(UserReg, flags), 6);
const_assert_eq!(core::mem::offset_of!(UserReg, enable_addr), 8);
const_assert_eq!(core::mem::offset_of!(UserReg, name_args), 16);
const_assert_eq!(core::mem::offset_of!(UserReg, write_index), 24);
const_assert_eq!(core::mem::offset_of!(UserUnreg, disable_addr), 8);
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(DIAG_IOCSREG == 0xC008_2A00);
    assert!(DIAG_IOCSDEL == 0x4008_2A01);
    assert!(DIAG_IOCSUNREG == 0x4008_2A02);
};

/// The bit the kernel owns in every enable word; the others are free for in-process consumers.
pub const ENABLE_BIT: u8 = 31;
/// `MAX_EVENT_DESC`: the registration text, NUL included.
pub const MAX_EVENT_DESC: usize = 512;
/// `MAX_FIELD_ARRAY_SIZE`: the largest fixed array field.
pub const MAX_FIELD_ARRAY_SIZE: usize = 1024;
/// The longest event name: it names a tracefs directory (`NAME_MAX`).
pub const MAX_NAME: usize = 255;
/// A `__rel_loc` word holds a 16-bit size and a 16-bit offset.
pub const MAX_DYN_LEN: usize = 0xFFFF;
/// The longest event name: it names a tracefs directory (`NAME_MAX`).
pub const MAX_EVENT_NAME: usize = 255;
/// Fields every tracefs event already has; an event may not declare them.
pub const COMMON_FIELDS: &[&str] = &["common_type", "common_flags", "common_preempt_count", "common_pid"];
