//! The kernel field types of user_events that ue writes, their text in a registration and their size.

/// A kernel field type of user_events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldKind {
    /// `u8`.
    U8,
    /// `u16`.
    U16,
    /// `u32`.
    U32,
    /// `u64`.
    U64,
    /// `s8`.
    S8,
    /// `s16`.
    S16,
    /// `s32`.
    S32,
    /// `s64`.
    S64,
    /// `__rel_loc char[]`: UTF-8 text, written with a trailing NUL.
    Str,
    /// `__rel_loc u8[]`: raw bytes, written as they are (a `char` type would demand a trailing NUL).
    Bytes,
    /// `unsigned char[N]`, N ≤ 1024: bytes, or text padded with NULs (floats).
    Array(usize),
}

impl FieldKind {
    /// Every kind whose registration text is the whole type (all but `Array`, which adds its length).
    pub const SIZED_BY_TYPE: [FieldKind; 10] = [
        FieldKind::U8,
        FieldKind::U16,
        FieldKind::U32,
        FieldKind::U64,
        FieldKind::S8,
        FieldKind::S16,
        FieldKind::S32,
        FieldKind::S64,
        FieldKind::Str,
        FieldKind::Bytes,
    ];

    /// The type as the kernel parses it in a registration (`Array` continues with `N]`).
    #[must_use]
    pub const fn kernel_type(self) -> &'static str {
        match self {
            FieldKind::U8 => "u8",
            FieldKind::U16 => "u16",
            FieldKind::U32 => "u32",
            FieldKind::U64 => "u64",
            FieldKind::S8 => "s8",
            FieldKind::S16 => "s16",
            FieldKind::S32 => "s32",
            FieldKind::S64 => "s64",
            FieldKind::Str => "__rel_loc char[]",
            FieldKind::Bytes => "__rel_loc u8[]",
            FieldKind::Array(_) => "unsigned char[",
        }
    }

    /// The kind a registration names with `ty` (`"u32"`, `"__rel_loc char[]"`, `"unsigned char[16]"`): the
    /// inverse of [`kernel_type`](Self::kernel_type), for reading a format back.
    #[must_use]
    pub fn from_kernel_type(ty: &str) -> Option<FieldKind> {
        if let Some(k) = FieldKind::SIZED_BY_TYPE.into_iter().find(|k| k.kernel_type() == ty) {
            return Some(k);
        }
        let n = ty.strip_prefix(FieldKind::Array(0).kernel_type())?.strip_suffix(']')?;
        Some(FieldKind::Array(n.parse().ok()?))
    }

    /// Bytes the field takes in the fixed part of a record (a `__rel_loc` word is 4).
    #[must_use]
    pub const fn size(self) -> usize {
        match self {
            FieldKind::U8 | FieldKind::S8 => 1,
            FieldKind::U16 | FieldKind::S16 => 2,
            FieldKind::U32 | FieldKind::S32 | FieldKind::Str | FieldKind::Bytes => 4,
            FieldKind::U64 | FieldKind::S64 => 8,
            FieldKind::Array(n) => n,
        }
    }

    /// Whether the field is dynamic data (`__rel_loc`), written after the fixed part.
    #[must_use]
    pub const fn is_dynamic(self) -> bool {
        matches!(self, FieldKind::Str | FieldKind::Bytes)
    }
}
