//! Markdown checklists (`- [ ] item`, `- [x] item`, also `*` bullets), each
//! item with its line and the heading it sits under.

use super::markdown::Outline;
use super::text::numbered_lines;

/// One checklist item.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Item {
    pub line: usize,
    pub checked: bool,
    pub text: String,
    /// The nearest heading above the item.
    pub section: Option<String>,
}

/// Every checklist item of `text`, in order (none inside fenced code).
pub fn items(text: &str) -> Vec<Item> {
    let outline = Outline::parse(text);
    let mut out = Vec::new();
    for (n, line) in numbered_lines(text) {
        if outline.is_code(n) || outline.heading_on(n).is_some() {
            continue;
        }
        let t = line.trim_start();
        let Some(rest) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) else {
            continue;
        };
        let rest = rest.trim_start();
        let checked = match rest.get(..3) {
            Some("[ ]") => false,
            Some("[x]" | "[X]") => true,
            _ => continue,
        };
        out.push(Item {
            line: n,
            checked,
            text: rest[3..].trim().to_string(),
            section: outline.heading_before(n).map(|h| h.text.clone()),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_with_lines_and_sections() {
        let doc = "# Guide\r\n## Checklist\r\n- [ ] One\r\n<!-- x -->\r\n- [x] Two\r\n*  [X] Three\r\n- [] not an item\r\n- plain\r\n## Next\r\n  - [ ] Nested\r\n```md\r\n# Example\r\n- [ ] in a code block\r\n```\r\n";
        let all = items(doc);
        let got: Vec<(usize, bool, &str, &str)> = all
            .iter()
            .map(|i| {
                (
                    i.line,
                    i.checked,
                    i.text.as_str(),
                    i.section.as_deref().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (3, false, "One", "Checklist"),
                (5, true, "Two", "Checklist"),
                (6, true, "Three", "Checklist"),
                (10, false, "Nested", "Next")
            ]
        );
    }
}
