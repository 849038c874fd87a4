//! Markdown tables as real governance documents write them. Beyond GFM:
//! a table may be split by a blank line (rows continue after it), carry
//! HTML comments (landmarks) between rows, have rows with more or fewer
//! cells than the header, and hold bold text, `<br>` and escaped pipes.
//! Every row keeps its line number; everything irregular is a problem with
//! its line, and no row is dropped.

use super::readme::table_cells;
use super::text::numbered_lines;

/// One table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// The nearest heading above the table (without `#`s).
    pub heading: Option<String>,
    pub header_line: usize,
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
    /// Irregularities as (line, message).
    pub problems: Vec<(usize, String)>,
}

/// One body row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub line: usize,
    /// Cells as written (trimmed, `\|` unescaped).
    pub cells: Vec<String>,
}

impl Table {
    /// The index of the first header matching any of `names` (case-insensitive).
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        self.headers
            .iter()
            .position(|h| names.iter().any(|n| plain(h).eq_ignore_ascii_case(n)))
    }
}

impl Row {
    /// The plain text of cell `i`, if present.
    pub fn cell(&self, i: usize) -> Option<String> {
        self.cells.get(i).map(|c| plain(c))
    }
}

/// Cell text without bold/italic markers, code ticks or `<br>` tags.
pub fn plain(cell: &str) -> String {
    let text = cell
        .replace("<br>", " ")
        .replace("<br/>", " ")
        .replace("<br />", " ")
        .replace("**", "")
        .replace('`', "");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_separator(line: &str) -> bool {
    let cells = table_cells(line);
    !cells.is_empty()
        && cells
            .iter()
            .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
}

fn is_row(line: &str) -> bool {
    line.trim_start().starts_with('|')
}

fn is_comment(line: &str) -> bool {
    let t = line.trim();
    t.starts_with("<!--") && t.ends_with("-->")
}

/// Every table in `text`, in order.
pub fn tables(text: &str) -> Vec<Table> {
    let lines: Vec<(usize, &str)> = numbered_lines(text).collect();
    let mut out = Vec::new();
    let mut heading = None;
    let mut i = 0;
    while i < lines.len() {
        let (n, line) = lines[i];
        if let Some(h) = line.trim_start().strip_prefix('#') {
            heading = Some(h.trim_start_matches('#').trim().to_string());
        }
        let header_next = lines.get(i + 1).is_some_and(|(_, l)| is_separator(l));
        if !(is_row(line) && header_next) {
            i += 1;
            continue;
        }
        let mut t = Table {
            heading: heading.clone(),
            header_line: n,
            headers: table_cells(line),
            ..Default::default()
        };
        i += 2;
        while i < lines.len() {
            let (n, line) = lines[i];
            if is_row(line) {
                let cells = table_cells(line);
                if cells.len() != t.headers.len() {
                    t.problems.push((
                        n,
                        format!(
                            "row has {} cells, the header has {}",
                            cells.len(),
                            t.headers.len()
                        ),
                    ));
                }
                t.rows.push(Row { line: n, cells });
                i += 1;
            } else if is_comment(line) {
                i += 1;
            } else if line.trim().is_empty() {
                // A blank line ends a table in CommonMark; here a following
                // row (after blanks or comments) still belongs to it, unless
                // it is the header of a new table.
                let next = (i..lines.len())
                    .find(|&j| !lines[j].1.trim().is_empty() && !is_comment(lines[j].1));
                let continues = next.is_some_and(|j| {
                    is_row(lines[j].1) && !lines.get(j + 1).is_some_and(|(_, l)| is_separator(l))
                });
                if !continues {
                    break;
                }
                t.problems.push((
                    n,
                    "blank line splits the table; the rows after it are read as part of it"
                        .to_string(),
                ));
                i += 1;
            } else {
                break;
            }
        }
        out.push(t);
    }
    out
}

/// The first table under a heading containing `heading` (case-insensitive).
pub fn table_under(text: &str, heading: &str) -> Option<Table> {
    let want = heading.to_lowercase();
    tables(text).into_iter().find(|t| {
        t.heading
            .as_deref()
            .is_some_and(|h| h.to_lowercase().contains(&want))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "# Board\r\n\r\n## Current board snapshot\r\n| ID | Title |\r\n|----|-------|\r\n| ST-A-001 | **One** |\r\n<!-- LANDMARK: x -->\r\n| ST-A-002 | Two <br> lines \\| pipe |\r\n\r\n| ST-A-003 | Three | extra |\r\n| ST-A-004 |\r\n\r\nText after.\r\n\r\n## Other\r\n| K | V |\r\n|---|---|\r\n| a | b |\r\n";

    #[test]
    fn reads_split_table_with_comments_and_bad_rows() {
        let all = tables(DOC);
        assert_eq!(all.len(), 2);
        let t = &all[0];
        assert_eq!(t.heading.as_deref(), Some("Current board snapshot"));
        let ids: Vec<(usize, String)> = t
            .rows
            .iter()
            .map(|r| (r.line, r.cell(0).unwrap()))
            .collect();
        assert_eq!(
            ids,
            vec![
                (6, "ST-A-001".into()),
                (8, "ST-A-002".into()),
                (10, "ST-A-003".into()),
                (11, "ST-A-004".into())
            ]
        );
        assert_eq!(t.rows[0].cell(1).as_deref(), Some("One"));
        assert_eq!(t.rows[1].cell(1).as_deref(), Some("Two lines | pipe"));
        assert_eq!(
            t.problems,
            vec![
                (
                    9,
                    "blank line splits the table; the rows after it are read as part of it"
                        .to_string()
                ),
                (10, "row has 3 cells, the header has 2".to_string()),
                (11, "row has 1 cells, the header has 2".to_string()),
            ]
        );
        assert_eq!(t.column(&["title"]), Some(1));
        assert_eq!(table_under(DOC, "other").unwrap().rows.len(), 1);
    }

    #[test]
    fn a_new_table_after_a_blank_line_is_its_own() {
        let doc = "| A |\n|---|\n| 1 |\n\n| B |\n|---|\n| 2 |\n";
        let all = tables(doc);
        assert_eq!(all.len(), 2, "{all:#?}");
        assert!(all[0].problems.is_empty());
    }

    #[test]
    fn garbage_does_not_panic() {
        for s in [
            "|",
            "|\n|-|",
            "| a |\n|---|\n\n",
            "\n\n|---|\n| |",
            "<!-- -->\n| a |\n|--|\n<!--",
        ] {
            let _ = tables(s);
        }
    }
}
