//! Pages of the ftrace ring buffer as `per_cpu/cpuN/trace_pipe_raw` hands them out (layout in tracefs
//! `events/header_page` and `events/header_event`; the kernel's kernel/trace/ring_buffer.c).
//!
//! A page: u64 timestamp, the commit word (bytes of data, flags in the top bits), then the data: events, each a
//! u32 header `type_len:5 | time_delta:27` and a body. `type_len` 1..=28: a record of `4 × type_len` bytes;
//! 0: the next u32 is the length (itself included), then the record; 29: padding (`time_delta` 0: the rest of the
//! page); 30: a time extension (delta = next u32 << 27 | time_delta); 31: an absolute timestamp.

/// Where the page's fields are, from `events/header_page`.
#[derive(Debug, Clone, Copy)]
pub struct PageLayout {
    pub commit_offset: usize,
    pub commit_size: usize,
    pub data_offset: usize,
    /// Bytes of a page, header included.
    pub page_size: usize,
}

impl PageLayout {
    /// `field: local_t commit; offset:8; size:8; signed:1;` … `field: char data; offset:16; size:4080;`
    pub fn parse(header_page: &str) -> Result<PageLayout, String> {
        let find = |name: &str| -> Option<(usize, usize)> {
            let line = header_page.lines().find(|l| l.contains(&format!(" {name};")))?;
            let num = |key: &str| -> Option<usize> {
                let rest = &line[line.find(key)? + key.len()..];
                rest.split(';').next()?.trim().parse().ok()
            };
            Some((num("offset:")?, num("size:")?))
        };
        let (commit_offset, commit_size) =
            find("commit").ok_or_else(|| format!("header_page: no commit field in {header_page:?}"))?;
        let (data_offset, data_size) = find("data").ok_or("header_page: no data field")?;
        Ok(PageLayout { commit_offset, commit_size, data_offset, page_size: data_offset + data_size })
    }
}

/// Bits of the commit word that count bytes (the others flag missed events).
const COMMIT_MASK: u64 = (1 << 27) - 1;
/// The absolute timestamp of a TIME_STAMP event holds these low bits; the page's timestamp gives the rest.
const TS_MASK: u64 = (1 << 59) - 1;

/// The records of one page, with their timestamps, in order.
pub fn records(page: &[u8], layout: &PageLayout) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    let Some(mut ts) = u64_at(page, 0) else { return out };
    let commit = match layout.commit_size {
        4 => u32_at(page, layout.commit_offset).map(u64::from),
        _ => u64_at(page, layout.commit_offset),
    };
    let len = (commit.unwrap_or(0) & COMMIT_MASK) as usize;
    let data = &page[layout.data_offset.min(page.len())..(layout.data_offset + len).min(page.len())];
    let mut at = 0;
    while let Some(header) = u32_at(data, at) {
        let type_len = header & 0x1f;
        let delta = u64::from(header >> 5);
        at += 4;
        match type_len {
            29 => {
                if delta == 0 {
                    break;
                }
                let Some(n) = u32_at(data, at) else { break };
                at += n as usize;
            }
            30 => {
                let Some(hi) = u32_at(data, at) else { break };
                ts += (u64::from(hi) << 27) | delta;
                at += 4;
            }
            31 => {
                let Some(hi) = u32_at(data, at) else { break };
                ts = (ts & !TS_MASK) | (u64::from(hi) << 27) | delta;
                at += 4;
            }
            0 => {
                let Some(n) = u32_at(data, at) else { break };
                ts += delta;
                let (start, end) = (at + 4, at + n as usize);
                let Some(rec) = data.get(start..end) else { break };
                out.push((ts, rec.to_vec()));
                at = end;
            }
            n => {
                ts += delta;
                let end = at + 4 * n as usize;
                let Some(rec) = data.get(at..end) else { break };
                out.push((ts, rec.to_vec()));
                at = end;
            }
        }
    }
    out
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

#[cfg(test)]
#[allow(clippy::decimal_bitwise_operands)] // header words built as the kernel documents them, in decimal
mod tests {
    use super::*;

    const HEADER_PAGE: &str = "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n\
        \tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n\
        \tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n\
        \tfield: char data;\toffset:16;\tsize:4080;\tsigned:1;\n";

    #[test]
    fn layout_from_header_page() {
        let l = PageLayout::parse(HEADER_PAGE).unwrap();
        assert_eq!((l.commit_offset, l.commit_size, l.data_offset, l.page_size), (8, 8, 16, 4096));
    }

    #[test]
    fn small_and_large_records_time_extends_and_padding() {
        let l = PageLayout::parse(HEADER_PAGE).unwrap();
        let mut data = Vec::new();
        data.extend(((5u32 << 5) | 2).to_ne_bytes()); // 8-byte record, delta 5
        data.extend([1, 2, 3, 4, 5, 6, 7, 8]);
        data.extend(((1u32 << 5) | 30).to_ne_bytes()); // time extend: (2 << 27) | 1
        data.extend(2u32.to_ne_bytes());
        data.extend((3u32 << 5).to_ne_bytes()); // type_len 0: length 8 (itself included), delta 3
        data.extend(8u32.to_ne_bytes());
        data.extend([9, 9, 9, 9]);
        data.extend(((1u32 << 5) | 29).to_ne_bytes()); // padding of 4 more bytes
        data.extend(4u32.to_ne_bytes());
        data.extend(((1u32 << 5) | 1).to_ne_bytes()); // 4-byte record, delta 1
        data.extend([7, 7, 7, 7]);
        let mut page = 1000u64.to_ne_bytes().to_vec();
        page.extend(((1u64 << 31) | data.len() as u64).to_ne_bytes()); // a missed-events flag is ignored
        page.extend(&data);
        page.resize(4096, 0);
        let r = records(&page, &l);
        let ext = (2u64 << 27) | 1;
        assert_eq!(
            r,
            vec![
                (1005, vec![1, 2, 3, 4, 5, 6, 7, 8]),
                (1005 + ext + 3, vec![9, 9, 9, 9]),
                (1005 + ext + 4, vec![7, 7, 7, 7])
            ]
        );
    }

    #[test]
    fn a_truncated_page_stops_cleanly() {
        let l = PageLayout::parse(HEADER_PAGE).unwrap();
        let mut page = 0u64.to_ne_bytes().to_vec();
        page.extend(100u64.to_ne_bytes());
        page.extend(28u32.to_ne_bytes()); // type_len 28, delta 0: claims 112 bytes, the page ends first
        assert!(records(&page, &l).is_empty());
    }
}
