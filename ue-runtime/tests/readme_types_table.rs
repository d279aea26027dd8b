//! README's types table is a copy of the one in `ue_runtime::Field`'s docs: each Rust type it names maps to the
//! kernel type its row says, as the `Field` impls say.

use ue_runtime::{Field, FieldKind};

fn kernel<T: Field + ?Sized>() -> String {
    match T::KIND {
        FieldKind::Array(n) => format!("unsigned char[{n}]"),
        k => k.kernel_type().to_string(),
    }
}

#[test]
fn readme_types_table_agrees_with_the_field_impls() {
    let readme = include_str!("../../README.md");
    let table: Vec<&str> = readme
        .split("### Types")
        .nth(1)
        .expect("README has a Types section")
        .lines()
        .skip_while(|l| !l.starts_with("| Rust"))
        .take_while(|l| l.starts_with('|'))
        .collect();
    let known: &[(&str, String)] = &[
        ("u8", kernel::<u8>()),
        ("u16", kernel::<u16>()),
        ("u32", kernel::<u32>()),
        ("u64", kernel::<u64>()),
        ("i8", kernel::<i8>()),
        ("i16", kernel::<i16>()),
        ("i32", kernel::<i32>()),
        ("i64", kernel::<i64>()),
        ("bool", kernel::<bool>()),
        ("char", kernel::<char>()),
        ("&str", kernel::<&str>()),
        ("String", kernel::<String>()),
        ("&[u8]", kernel::<&[u8]>()),
        ("Vec<u8>", kernel::<Vec<u8>>()),
        ("Duration", kernel::<std::time::Duration>()),
        ("SystemTime", kernel::<std::time::SystemTime>()),
        ("u128", kernel::<u128>()),
        ("i128", "[41]".into()),
        ("Ipv4Addr", kernel::<std::net::Ipv4Addr>()),
        ("Ipv6Addr", "[46]".into()),
        ("SocketAddrV4", "[22]".into()),
        ("SocketAddr", "[65]".into()),
        ("f32", "unsigned char[16]".into()),
        ("f64", "[25]".into()),
    ];
    let mut checked = 0;
    for row in &table[2..] {
        let cols: Vec<&str> = row.split(" | ").collect();
        let (rust, kern) = (cols[0], cols[1]);
        for (ty, want) in known {
            if rust.contains(&format!("`{ty}`")) {
                let short = want.trim_start_matches("__rel_loc ");
                assert!(kern.contains(want.as_str()) || kern.contains(short), "README row {row:?}: `{ty}` is `{want}`");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, known.len(), "every listed type appears once in README's table");
    assert_eq!(kernel::<f32>(), "unsigned char[16]");
    assert_eq!(kernel::<f64>(), "unsigned char[25]");
    assert_eq!(kernel::<i128>(), "unsigned char[41]");
    assert_eq!([kernel::<std::net::Ipv6Addr>(), kernel::<std::net::IpAddr>()], ["unsigned char[46]"; 2]);
    assert_eq!(kernel::<std::net::SocketAddrV4>(), "unsigned char[22]");
    assert_eq!([kernel::<std::net::SocketAddr>(), kernel::<std::net::SocketAddrV6>()], ["unsigned char[65]"; 2]);
    // Option<T>: T's field, then a u8 flag.
    let parts = <Option<u32> as Field>::PARTS;
    assert_eq!(parts.kinds(), [FieldKind::U32, FieldKind::U8]);
    assert!(table.iter().any(|r| r.starts_with("| `Option<T>`") && r.contains("u8 NAME_is_some")));
}
