//! XML as every format reader parses it (roxmltree): a DOCTYPE is allowed
//! but never fetched, and errors name the file and line, a truncated file
//! at its end rather than its start.

use std::path::Path;

use crate::error::{Error, Result};

/// The error for a document whose root element is not what the reader
/// reads, at the root's line.
pub fn wrong_root(doc: &roxmltree::Document, path: &Path, message: String) -> Error {
    let line = doc.text_pos_at(doc.root_element().range().start).row as usize;
    Error::parse(path, Some(line), message)
}

/// Parse `text` (read from `path`).
pub fn parse<'a>(text: &'a str, path: &Path) -> Result<roxmltree::Document<'a>> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(text, opts).map_err(|e| match e {
        // roxmltree reports these at the start; the problem is at the end.
        roxmltree::Error::UnclosedRootNode | roxmltree::Error::UnexpectedEndOfStream => {
            Error::parse(
                path,
                Some(text.lines().count().max(1)),
                "the XML ends before its elements are closed (a truncated file?)",
            )
        }
        e => Error::parse(path, Some(e.pos().row as usize), e.to_string()),
    })
}
