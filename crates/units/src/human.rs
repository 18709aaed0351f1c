//! Human output conventions, shared by every table and summary a person reads (CLI `settle`,
//! statements, the book, run summaries): instants as UTC date-times (`2026-01-05 13:00 UTC`),
//! amounts and counts grouped in thousands (`1,234,567.891`), exact to the last digit, and
//! right-aligned columns sized to their content.
//!
//! Contract: presentation only. Machine output (`--json`, records, digests) never goes through
//! this module: it keeps Unix seconds and ungrouped exact decimals. Nothing here rounds an
//! amount: the decimal digits shown are all the digits there are.

use crate::fixed::Timestamp;
use crate::time::utc_date_and_second;
use alloy_primitives::U256;

/// `2026-01-05 13:00 UTC`; seconds are shown only when not zero (`2026-01-05 13:00:01 UTC`).
/// An instant after the supported range (never produced by validated inputs) prints as
/// `unix 123… s`.
pub fn utc(t: Timestamp) -> String {
    match utc_date_and_second(t) {
        Ok((date, s)) => {
            let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
            if sec == 0 {
                format!("{date} {h:02}:{m:02} UTC")
            } else {
                format!("{date} {h:02}:{m:02}:{sec:02} UTC")
            }
        }
        Err(_) => format!("unix {} s", group_digits(&t.0.to_string())),
    }
}

/// Inserts `,` every three digits from the right of a string of ASCII digits.
fn group_digits(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A count grouped in thousands: `259,200`.
pub fn count(n: u64) -> String {
    group_digits(&n.to_string())
}

/// Groups the integer part of an exact decimal text (`"-1234567.5"` → `"-1,234,567.5"`); the
/// fraction is left whole. Text that is not a plain decimal is returned unchanged.
pub fn group_decimal(text: &str) -> String {
    let (sign, rest) = match text.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", text),
    };
    let (int, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return text.to_string();
    }
    let mut out = format!("{sign}{}", group_digits(int));
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// An amount of base units with `decimals` decimals, exact and grouped: `1,234,567.891`.
pub fn amount(value: U256, decimals: u8) -> String {
    group_decimal(&crate::decimal::format_decimal(value, decimals))
}

/// Column alignment in a [`Table`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A plain-text table: a header row, then rows; each column as wide as its widest cell,
/// columns separated by two spaces, trailing spaces trimmed.
#[derive(Debug, Clone)]
pub struct Table {
    columns: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(columns: &[(&str, Align)]) -> Table {
        Table {
            columns: columns.iter().map(|(h, a)| (h.to_string(), *a)).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; it must have one cell per column (a bug otherwise).
    pub fn row(&mut self, cells: Vec<String>) {
        assert_eq!(
            cells.len(),
            self.columns.len(),
            "a table row needs one cell per column"
        );
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let width = |i: usize| {
            self.rows
                .iter()
                .map(|r| r[i].chars().count())
                .chain([self.columns[i].0.chars().count()])
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..self.columns.len()).map(width).collect();
        let line = |cells: Vec<&str>| {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate() {
                if i > 0 {
                    s.push_str("  ");
                }
                let pad = widths[i] - c.chars().count();
                match self.columns[i].1 {
                    Align::Left => {
                        s.push_str(c);
                        s.push_str(&" ".repeat(pad));
                    }
                    Align::Right => {
                        s.push_str(&" ".repeat(pad));
                        s.push_str(c);
                    }
                }
            }
            let mut s = s.trim_end().to_string();
            s.push('\n');
            s
        };
        let mut out = line(self.columns.iter().map(|(h, _)| h.as_str()).collect());
        for r in &self.rows {
            out.push_str(&line(r.iter().map(String::as_str).collect()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn utc_date_times() {
        assert_eq!(utc(Timestamp(1_767_618_000)), "2026-01-05 13:00 UTC");
        assert_eq!(utc(Timestamp(1_767_618_001)), "2026-01-05 13:00:01 UTC");
        assert_eq!(utc(Timestamp(0)), "1970-01-01 00:00 UTC");
        assert_eq!(utc(crate::time::MAX_TIME), "9999-12-31 23:59:59 UTC");
    }

    #[test]
    fn grouped_amounts_are_exact() {
        let wad = U256::from(10u8).pow(U256::from(18u8));
        assert_eq!(
            amount(U256::from(1_234_567_891u64) * wad / U256::from(1000u16), 18),
            "1,234,567.891"
        );
        assert_eq!(amount(U256::from(1u8), 18), "0.000000000000000001");
        assert_eq!(amount(U256::from(999u16) * wad, 18), "999");
        assert_eq!(amount(U256::from(1000u16) * wad, 18), "1,000");
        assert_eq!(
            group_decimal("-160.273972602739726028"),
            "-160.273972602739726028"
        );
        assert_eq!(group_decimal("-1600000.5"), "-1,600,000.5");
        assert_eq!(count(259_200), "259,200");
        assert_eq!(count(0), "0");
    }

    #[test]
    fn table_columns_fit_their_widest_cell() {
        let mut t = Table::new(&[("prime", Align::Left), ("total", Align::Right)]);
        t.row(vec!["spark".into(), "1,000".into()]);
        t.row(vec!["g".into(), "-5".into()]);
        assert_eq!(t.render(), "prime  total\nspark  1,000\ng         -5\n");
    }

    proptest! {
        /// Removing the separators gives back the exact decimal.
        #[test]
        fn grouping_only_adds_separators(limbs in any::<[u64; 4]>(), d in 0u8..=27) {
            let v = U256::from_limbs(limbs);
            let exact = crate::decimal::format_decimal(v, d);
            prop_assert_eq!(amount(v, d).replace(',', ""), exact);
        }
    }
}
