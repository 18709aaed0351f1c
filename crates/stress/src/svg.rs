//! Histograms as standalone SVG files (one per metric): bars over equal-width bins, the p50,
//! p95, p99 and max marked, axis labels in the report's human units.
//!
//! Contract: plain SVG 1.1 text written by hand — no font files, no system libraries, the same
//! bytes for the same batch. Floating point appears only in pixel geometry, never in a figure
//! printed as a value (labels come from [`crate::report::show`] on exact integers). Why not
//! plotters: its chart layout measures text through a font backend (font-kit → fontconfig and
//! FreeType, or a bundled TTF with ab_glyph); a histogram needs none of that.

use crate::report::show;
use crate::stats::{histogram, Summary};
use alloy_primitives::U256;

const W: f64 = 720.0;
const H: f64 = 400.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 70.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Position of `v` in `[lo, hi]` as a fraction (exact integer ratio in 1/10000, then scaled).
fn frac(v: U256, lo: U256, hi: U256) -> f64 {
    if hi <= lo {
        return 0.5;
    }
    let num = v.saturating_sub(lo).saturating_mul(U256::from(10_000u16));
    let r = num / (hi - lo);
    u64::try_from(r).unwrap_or(10_000) as f64 / 10_000.0
}

/// The SVG text of one metric's histogram.
pub fn histogram_svg(s: &Summary, bins: usize) -> String {
    let h = histogram(&s.values, bins);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let max_count = h.iter().map(|b| b.1).max().unwrap_or(1).max(1);
    let mut o = String::new();
    o.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"12\">\n"
    ));
    o.push_str(&format!(
        "<rect x=\"0\" y=\"0\" width=\"{W}\" height=\"{H}\" fill=\"white\"/>\n"
    ));
    o.push_str(&format!(
        "<text x=\"{LEFT}\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{}</text>\n",
        esc(&s.metric)
    ));
    o.push_str(&format!(
        "<text x=\"{LEFT}\" y=\"40\">n = {}, mean {}, worst seed {}</text>\n",
        s.n,
        esc(&show(s.unit, s.mean)),
        s.worst_seed
    ));
    let n_bins = h.len().max(1) as f64;
    let bw = plot_w / n_bins;
    for (i, (_, c)) in h.iter().enumerate() {
        let bh = plot_h * (*c as f64) / (max_count as f64);
        let x = LEFT + bw * i as f64;
        let y = TOP + plot_h - bh;
        o.push_str(&format!(
            "<rect x=\"{x:.2}\" y=\"{y:.2}\" width=\"{:.2}\" height=\"{bh:.2}\" fill=\"#4a7ab5\" stroke=\"white\" stroke-width=\"0.5\"><title>{c}</title></rect>\n",
            (bw - 0.5).max(0.5)
        ));
    }
    // axes
    o.push_str(&format!(
        "<line x1=\"{LEFT}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>\n",
        TOP + plot_h,
        LEFT + plot_w,
        TOP + plot_h
    ));
    o.push_str(&format!(
        "<line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{}\" stroke=\"black\"/>\n",
        TOP + plot_h
    ));
    o.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{max_count}</text>\n",
        LEFT - 6.0,
        TOP + 4.0
    ));
    o.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">0</text>\n",
        LEFT - 6.0,
        TOP + plot_h
    ));
    o.push_str(&format!(
        "<text x=\"14\" y=\"{}\" transform=\"rotate(-90 14 {})\" text-anchor=\"middle\">runs</text>\n",
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0
    ));
    let (lo, hi) = (s.min, s.max);
    o.push_str(&format!(
        "<text x=\"{LEFT}\" y=\"{}\">{}</text>\n",
        TOP + plot_h + 16.0,
        esc(&show(s.unit, lo))
    ));
    o.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
        LEFT + plot_w,
        TOP + plot_h + 16.0,
        esc(&show(s.unit, hi))
    ));
    // percentile markers
    for (i, (label, v, colour)) in [
        ("p50", s.p50, "#2a9d3a"),
        ("p95", s.p95, "#d98c1f"),
        ("p99", s.p99, "#c0392b"),
        ("max", s.max, "#000000"),
    ]
    .into_iter()
    .enumerate()
    {
        let x = LEFT + plot_w * frac(v, lo, hi);
        o.push_str(&format!(
            "<line x1=\"{x:.2}\" y1=\"{TOP}\" x2=\"{x:.2}\" y2=\"{}\" stroke=\"{colour}\" stroke-dasharray=\"4 3\"/>\n",
            TOP + plot_h
        ));
        o.push_str(
            &format!(
                "<text x=\"{LEFT}\" y=\"{:.2}\" fill=\"{colour}\">{label} = {}</text>\n",
                TOP + plot_h + 34.0 + 14.0 * (i / 2) as f64 + 0.0,
                esc(&show(s.unit, v))
            )
            .replacen(
                &format!("x=\"{LEFT}\""),
                &format!("x=\"{:.2}\"", LEFT + (i % 2) as f64 * plot_w / 2.0),
                1,
            ),
        );
    }
    o.push_str("</svg>\n");
    o
}

/// A file name for a metric's histogram (`relayer.loss` → `relayer.loss.svg`).
pub fn file_name(metric: &str) -> String {
    let safe: String = metric
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}.svg")
}
