//! Document structure from a CommonMark parser (pulldown-cmark): which lines
//! are fenced code, and where the headings are. The line readers (tables,
//! checklists, cards) consult it, so a `# comment` or an ASCII mock-up inside
//! a code block is never taken for a heading, a table or a task.
//!
//! Only fenced blocks count as code. An indented block is code to CommonMark
//! too, but in hand-edited documents it is as often a mis-indented table row,
//! and a row is never dropped for that.

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

/// One heading (ATX `#` or setext underline).
#[derive(Debug, Clone, PartialEq)]
pub struct Heading {
    /// The line the heading text is on.
    pub line: usize,
    /// 1 for `#`, 2 for `##`, ...
    pub level: usize,
    /// The heading's plain text.
    pub text: String,
}

/// The structure of one markdown document, by 1-based line.
#[derive(Debug, Default)]
pub struct Outline {
    code: Vec<bool>,
    headings: Vec<Heading>,
}

impl Outline {
    /// Parse `text` (BOM already removed).
    pub fn parse(text: &str) -> Outline {
        let starts: Vec<usize> = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let line_of = |offset: usize| starts.partition_point(|&s| s <= offset);
        let mut out = Outline {
            code: vec![false; starts.len() + 1],
            headings: Vec::new(),
        };
        let mut heading: Option<Heading> = None;
        for (event, range) in Parser::new(text).into_offset_iter() {
            match event {
                Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(_))) => {
                    let last = line_of(range.end.saturating_sub(1).max(range.start));
                    for flag in &mut out.code[line_of(range.start)..=last] {
                        *flag = true;
                    }
                }
                Event::Start(Tag::Heading { level, .. }) => {
                    heading = Some(Heading {
                        line: line_of(range.start),
                        level: level as usize,
                        text: String::new(),
                    });
                }
                Event::Text(t) | Event::Code(t) => {
                    if let Some(h) = heading.as_mut() {
                        h.text.push_str(&t);
                    }
                }
                Event::SoftBreak | Event::HardBreak => {
                    if let Some(h) = heading.as_mut() {
                        h.text.push(' ');
                    }
                }
                Event::End(TagEnd::Heading(_)) => {
                    if let Some(mut h) = heading.take() {
                        h.text = h.text.trim().to_string();
                        out.headings.push(h);
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// Whether `line` is inside a fenced code block (fences included).
    pub fn is_code(&self, line: usize) -> bool {
        self.code.get(line).copied().unwrap_or(false)
    }

    /// Whether `line` is a heading's line.
    pub fn heading_on(&self, line: usize) -> Option<&Heading> {
        let i = self.headings.partition_point(|h| h.line < line);
        self.headings.get(i).filter(|h| h.line == line)
    }

    /// The nearest heading above `line` (strictly before it).
    pub fn heading_before(&self, line: usize) -> Option<&Heading> {
        let i = self.headings.partition_point(|h| h.line < line);
        i.checked_sub(1).map(|i| &self.headings[i])
    }

    /// Every heading, in order.
    pub fn headings(&self) -> &[Heading] {
        &self.headings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_lines_and_headings() {
        let doc = "# Title\r\n\r\n```powershell\r\n# not a heading\r\n| a | b |\r\n```\r\nSetext **bold**\r\n---\r\n#hashtag\r\n  ## Two `code`\r\n";
        let o = Outline::parse(doc);
        let code: Vec<usize> = (1..=11).filter(|&l| o.is_code(l)).collect();
        assert_eq!(code, vec![3, 4, 5, 6]);
        let h: Vec<(usize, usize, &str)> = o
            .headings()
            .iter()
            .map(|h| (h.line, h.level, h.text.as_str()))
            .collect();
        assert_eq!(
            h,
            vec![(1, 1, "Title"), (7, 2, "Setext bold"), (10, 2, "Two code")]
        );
        assert_eq!(o.heading_before(7).map(|h| h.line), Some(1));
        assert_eq!(o.heading_before(8).map(|h| h.line), Some(7));
        assert!(o.heading_on(10).is_some() && o.heading_on(9).is_none());
        assert!(o.heading_before(1).is_none());
    }

    #[test]
    fn an_unclosed_fence_runs_to_the_end() {
        let o = Outline::parse("a\n```\n# x\n| y |");
        assert!(!o.is_code(1));
        assert!((2..=4).all(|l| o.is_code(l)));
        assert!(o.headings().is_empty());
        assert!(!o.is_code(99));
    }
}
