//! Inline SVG charts: numbers in, markup out. Every chart carries a title and
//! a text label with its values, so it reads without seeing the colours.

use std::fmt::Write;

use super::Point;
use crate::telemetry::stats::{fmt_num, round_away};

/// Escape text for SVG (XML).
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Points scaled into a `w` x `h` box with `pad` margins.
fn scale(values: &[f64], w: f64, h: f64, pad: f64) -> Vec<(f64, f64)> {
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    let span = if hi > lo { hi - lo } else { 1.0 };
    let step = if values.len() > 1 {
        (w - 2.0 * pad) / (values.len() - 1) as f64
    } else {
        0.0
    };
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let x = pad + step * i as f64;
            let y = if hi > lo {
                h - pad - (v - lo) / span * (h - 2.0 * pad)
            } else {
                h / 2.0
            };
            (x, y)
        })
        .collect()
}

fn polyline(points: &[(f64, f64)]) -> String {
    points.iter().fold(String::new(), |mut s, (x, y)| {
        let _ = write!(s, "{x:.1},{y:.1} ");
        s
    })
}

/// A value as the page shows it: at most three decimals.
pub fn shown(v: f64) -> String {
    fmt_num(round_away(v, 3))
}

/// A small line of `values` (oldest first); empty when there is nothing to draw.
pub fn sparkline(values: &[f64], id: &str) -> String {
    if values.len() < 2 {
        return String::new();
    }
    let pts = scale(values, 100.0, 24.0, 3.0);
    let label = values
        .iter()
        .map(|v| shown(*v))
        .collect::<Vec<_>>()
        .join(", ");
    let (lx, ly) = pts[pts.len() - 1];
    format!(
        "<svg class=\"spark\" width=\"100\" height=\"24\" viewBox=\"0 0 100 24\" role=\"img\" aria-label=\"{} history: {}\"><title>{} history: {}</title><polyline fill=\"none\" stroke=\"currentColor\" stroke-width=\"1.5\" points=\"{}\"/><circle cx=\"{lx:.1}\" cy=\"{ly:.1}\" r=\"2\" fill=\"currentColor\"/></svg>",
        esc(id),
        esc(&label),
        esc(id),
        esc(&label),
        polyline(&pts)
    )
}

/// A trend chart with min and max labels and one marked point per run.
pub fn trend(points: &[Point], title: &str) -> String {
    if points.is_empty() {
        return String::new();
    }
    let values: Vec<f64> = points.iter().map(|p| p.value).collect();
    let (w, h) = (480.0, 150.0);
    let pts = scale(&values, w, h, 24.0);
    let lo = values.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let mut marks = String::new();
    for ((x, y), p) in pts.iter().zip(points) {
        let _ = write!(
            marks,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\"><title>{}: {}</title></circle>",
            esc(&p.label),
            shown(p.value)
        );
    }
    format!(
        "<svg class=\"trend\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{t}: {n} runs, from {first} to {last} (min {lo}, max {hi})\"><title>{t}</title><line x1=\"24\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" class=\"axis\"/><text x=\"2\" y=\"14\">{hi}</text><text x=\"2\" y=\"{h}\">{lo}</text><polyline fill=\"none\" stroke=\"currentColor\" stroke-width=\"2\" points=\"{line}\"/>{marks}</svg>",
        t = esc(title),
        n = points.len(),
        first = shown(values[0]),
        last = shown(values[values.len() - 1]),
        lo = shown(lo),
        hi = shown(hi),
        b = h - 24.0,
        r = w - 24.0,
        line = polyline(&pts),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_rounded_to_three_decimals() {
        assert_eq!(shown(4.087688249999805), "4.088");
        assert_eq!(shown(25.0), "25");
        let t = trend(
            &[
                Point {
                    label: "a".into(),
                    value: 4.087688249999805,
                },
                Point {
                    label: "b".into(),
                    value: 1.0 / 3.0,
                },
            ],
            "t",
        );
        assert!(
            t.contains(">4.088<") && t.contains("0.333") && !t.contains("4.0876"),
            "{t}"
        );
    }

    #[test]
    fn sparklines_scale_into_the_box_and_label_their_values() {
        let s = sparkline(&[1.0, 3.0, 2.0], "G<1>");
        assert!(
            s.contains("aria-label=\"G&lt;1&gt; history: 1, 3, 2\""),
            "{s}"
        );
        assert!(s.contains("points=\"3.0,21.0 50.0,3.0 97.0,12.0 \""), "{s}");
        assert_eq!(sparkline(&[1.0], "x"), "");
        let flat = sparkline(&[5.0, 5.0], "x");
        assert!(flat.contains("3.0,12.0 97.0,12.0"), "{flat}");
    }

    #[test]
    fn trends_mark_every_point() {
        let pts: Vec<Point> = [46.2, 61.0, 68.9]
            .iter()
            .enumerate()
            .map(|(i, v)| Point {
                label: format!("run{i}"),
                value: *v,
            })
            .collect();
        let s = trend(&pts, "Warm improvement");
        assert_eq!(s.matches("<circle").count(), 3);
        assert!(
            s.contains("3 runs, from 46.2 to 68.9 (min 46.2, max 68.9)"),
            "{s}"
        );
    }
}
