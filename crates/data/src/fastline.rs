//! A specialised scanner for plain rows: walks a line once, parsing numbers in
//! place (no field splitting). It accepts only rows whose numeric fields are plain
//! decimals immediately followed by a comma or the line end; anything else makes it
//! decline, and the general parser takes the line.

use crate::numbers::scan_decimal;

/// What a field holds, for the scanner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// A number stored in slot `n`.
    Num(usize),
    /// A text field kept as a slice in slot `n` (date, time, symbol).
    Text(usize),
    /// A field nobody reads.
    Skip,
}

/// Field roles by field index, built from the column mapping.
pub(crate) fn roles(expected: usize, nums: &[usize], texts: &[usize]) -> Vec<Role> {
    let mut r = vec![Role::Skip; expected];
    for (slot, &i) in nums.iter().enumerate() {
        if let Some(x) = r.get_mut(i) {
            *x = Role::Num(slot);
        }
    }
    for (slot, &i) in texts.iter().enumerate() {
        if let Some(x) = r.get_mut(i) {
            *x = Role::Text(slot);
        }
    }
    r
}

/// Scans `row` by `roles`, filling `nums` and `texts`; `None` to decline.
#[inline]
pub(crate) fn scan<'a>(
    row: &'a [u8],
    roles: &[Role],
    nums: &mut [f64],
    texts: &mut [&'a [u8]],
) -> Option<()> {
    let mut p = 0;
    let last = roles.len().checked_sub(1)?;
    for (k, role) in roles.iter().enumerate() {
        let rest = row.get(p..)?;
        let used = match *role {
            Role::Num(slot) => {
                let (v, used) = scan_decimal(rest)?;
                *nums.get_mut(slot)? = v;
                used
            }
            Role::Text(slot) => {
                let used = if k == last {
                    rest.len()
                } else {
                    memchr::memchr(b',', rest)?
                };
                *texts.get_mut(slot)? = &rest[..used];
                used
            }
            Role::Skip if k == last => rest.len(),
            Role::Skip => memchr::memchr(b',', rest)?,
        };
        p += used;
        if k == last {
            return (p == row.len()).then_some(());
        }
        if row.get(p) != Some(&b',') {
            return None;
        }
        p += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_plain_rows_and_declines_odd_ones() {
        let roles = roles(4, &[1, 3], &[0]);
        let mut nums = [0.0; 2];
        let mut texts: [&[u8]; 1] = [b""];
        assert!(scan(b"2020-01-02,1.5,x,7", &roles, &mut nums, &mut texts).is_some());
        assert_eq!((nums, texts[0]), ([1.5, 7.0], &b"2020-01-02"[..]));
        for odd in [
            "a,1,x",
            "a,1,x,7,8",
            "a, 1,x,7",
            "a,1e3,x,7",
            "a,1,x,",
            "a,-1,x,7",
        ] {
            assert!(
                scan(odd.as_bytes(), &roles, &mut nums, &mut texts).is_none(),
                "{odd}"
            );
        }
    }
}
