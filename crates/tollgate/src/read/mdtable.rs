//! Markdown tables as real governance documents write them. Beyond GFM:
//! a table may be split by a blank line (rows continue after it), carry
//! HTML comments (landmarks) between rows, have rows with more or fewer
//! cells than the header, and hold bold text, `<br>` and escaped pipes.
//! Every row keeps its line number; everything irregular is a problem with
//! its line, and no row is dropped.

use super::markdown::Outline;
use super::readme::table_cells;
use super::text::numbered_lines;

/// One table. Rows with no header row above them form a table with no
/// `headers` (and a problem saying so), so that they are not lost.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// The nearest heading above the table (without `#`s).
    pub heading: Option<String>,
    /// The header's line (a headerless table: its first row's).
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

/// Every table in `text`, in order. Lines inside fenced code blocks are
/// not tables; headings come from the CommonMark structure.
pub fn tables(text: &str) -> Vec<Table> {
    let outline = Outline::parse(text);
    // Code lines are blanked out of the table grammar, but keep their place.
    let lines: Vec<(usize, Option<&str>)> = numbered_lines(text)
        .map(|(n, l)| (n, (!outline.is_code(n)).then_some(l)))
        .collect();
    let row_at = |j: usize| lines.get(j).and_then(|(_, l)| *l).is_some_and(is_row);
    let separator_at = |j: usize| lines.get(j).and_then(|(_, l)| *l).is_some_and(is_separator);
    let blank_at = |j: usize| lines[j].1.is_some_and(|l| l.trim().is_empty());
    let comment_at = |j: usize| lines[j].1.is_some_and(is_comment);
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (n, line) = lines[i];
        if row_at(i) && !separator_at(i + 1) {
            // Rows with no header above: kept as a headerless table, reported.
            let mut t = Table {
                heading: outline.heading_before(n).map(|h| h.text.clone()),
                header_line: n,
                problems: vec![(
                    n,
                    "table row without a header row and separator line above it".to_string(),
                )],
                ..Default::default()
            };
            while row_at(i) && !separator_at(i + 1) {
                let (n, line) = lines[i];
                let cells = table_cells(line.unwrap_or_default());
                t.rows.push(Row { line: n, cells });
                i += 1;
            }
            out.push(t);
            continue;
        }
        let Some(line) = line.filter(|_| row_at(i) && separator_at(i + 1)) else {
            i += 1;
            continue;
        };
        let mut t = Table {
            heading: outline.heading_before(n).map(|h| h.text.clone()),
            header_line: n,
            headers: table_cells(line),
            ..Default::default()
        };
        i += 2;
        while i < lines.len() {
            let (n, line) = lines[i];
            if row_at(i) {
                let cells = table_cells(line.unwrap_or_default());
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
            } else if comment_at(i) {
                i += 1;
            } else if blank_at(i) {
                // A blank line ends a table in CommonMark; here a following
                // row (after blanks or comments) still belongs to it, unless
                // it is the header of a new table.
                let next = (i..lines.len()).find(|&j| !blank_at(j) && !comment_at(j));
                let continues = next.is_some_and(|j| row_at(j) && !separator_at(j + 1));
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

    /// Lines of the body rows a strict CommonMark (GFM tables) parser reads.
    fn commonmark_rows(doc: &str) -> Vec<usize> {
        use pulldown_cmark::{Event, Options, Parser, Tag};
        let line = |at: usize| doc[..at].matches('\n').count() + 1;
        Parser::new_ext(doc, Options::ENABLE_TABLES)
            .into_offset_iter()
            .filter(|(e, _)| matches!(e, Event::Start(Tag::TableRow)))
            .map(|(_, r)| line(r.start))
            .collect()
    }

    #[test]
    fn keeps_and_reports_every_row_commonmark_drops() {
        let strict = commonmark_rows(DOC);
        let ours: Vec<usize> = tables(DOC)
            .iter()
            .flat_map(|t| t.rows.iter().map(|r| r.line))
            .collect();
        // CommonMark ends the table at the comment: rows 8, 10 and 11 are
        // paragraph text to it.
        assert_eq!(strict, vec![6, 18]);
        assert_eq!(ours, vec![6, 8, 10, 11, 18]);
        assert!(strict.iter().all(|l| ours.contains(l)));
    }

    #[test]
    fn code_blocks_are_not_tables_or_headings() {
        let doc = "## Real\n\n```text\n# comment\n| mock | up |\n|------|----|\n| a | b |\n```\n| K | V |\n|---|---|\n| k | v |\n";
        let all = tables(doc);
        assert_eq!(all.len(), 1, "{all:#?}");
        assert_eq!(all[0].header_line, 9);
        assert_eq!(all[0].heading.as_deref(), Some("Real"));
        assert_eq!(commonmark_rows(doc), vec![11]);
    }

    #[test]
    fn rows_without_a_header_are_kept_and_reported() {
        let doc = "# H\n| 11 | stray |\n| 12 | more |\n| A | B |\n|---|---|\n| 1 | 2 |\n";
        let all = tables(doc);
        assert_eq!(all.len(), 2, "{all:#?}");
        assert!(all[0].headers.is_empty());
        assert_eq!(
            all[0].rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            [2, 3]
        );
        assert_eq!(all[0].problems.len(), 1);
        assert_eq!(all[0].problems[0].0, 2);
        assert_eq!((all[1].header_line, all[1].rows.len()), (4, 1));
        assert!(all[1].problems.is_empty());
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
