#![deny(warnings)]
// Every form of `#[user_event(span)]`, under #![deny(warnings)].

use std::fmt;
use ue_runtime::user_event;

#[derive(Debug)]
struct Oops;
impl fmt::Display for Oops {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("oops")
    }
}

#[user_event(span)]
fn unit(a: u32) {
    let _ = a;
}

#[user_event(span, ret, err)]
fn early(text: &str) -> Result<u32, std::num::ParseIntError> {
    if text.is_empty() {
        return Ok(0);
    }
    let v: u32 = text.parse()?;
    Ok(v)
}

#[user_event(span, err)]
fn io_alias(ok: bool) -> std::io::Result<u8> {
    if ok { Ok(1) } else { Err(std::io::Error::other("no")) }
}

#[user_event(span, ret(display), err)]
fn display_ok(ok: bool) -> Result<String, Oops> {
    if ok { Ok("yes".into()) } else { Err(Oops) }
}

#[user_event(span, ret(debug))]
fn borrowed<'a>(s: &'a str, _n: u8) -> &'a str {
    s
}

#[user_event(span, ret)]
fn text_ret(s: &str) -> &str {
    s
}

#[user_event(span, skip(t))]
fn generic<T: fmt::Debug>(t: T, n: u64) -> String {
    format!("{t:?}{n}")
}

#[user_event(span)]
fn opaque(n: u32) -> impl Iterator<Item = u32> {
    0..n
}

#[user_event(span, ret)]
fn with_mut(mut a: u32, v: Vec<u8>) -> u32 {
    a += v.len() as u32;
    a
}

#[user_event(span, ret)]
async fn with_mut_async(mut a: u32) -> u32 {
    a += 1;
    a
}

#[user_event(span, ret)]
fn recursive(n: u64) -> u64 {
    if n == 0 { 0 } else { n + recursive(n - 1) }
}

struct Conn(u32);

#[user_event]
impl Conn {
    #[user_event(span, ret)]
    fn bump(&mut self, by: u32) -> u32 {
        self.0 += by;
        self.0
    }

    #[user_event(span)]
    fn field(&mut self) -> &mut u32 {
        &mut self.0
    }

    #[user_event(span)]
    fn into_inner(self) -> u32 {
        self.0
    }

    #[user_event(span, ret, err)]
    async fn fetch(&self, key: &str) -> Result<u32, Oops> {
        if key.is_empty() {
            return Err(Oops);
        }
        let n = key.parse::<u32>().map_err(|_| Oops)?;
        Ok(n + self.0)
    }
}

#[user_event(span, name = "renamed_span", display(peer), multi_format)]
async fn serve(peer: std::net::IpAddr, n: u32) -> u32 {
    unit(n);
    n
}

fn main() {
    unit(1);
    let _ = (early(""), early("x"), io_alias(true), display_ok(false), borrowed("a", 1), text_ret("b"));
    let _ = (generic(vec![1], 2), opaque(3).count(), recursive(3), with_mut(1, vec![2]), with_mut_async(1));
    let mut c = Conn(1);
    *c.field() += c.bump(1);
    let _ = c.fetch("1");
    let _ = serve([127, 0, 0, 1].into(), 2);
    let _ = c.into_inner();
    let _ = ue_runtime::current_span_id();
}
