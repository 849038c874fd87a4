//! The governance drift rules (SPEC §3) by id, and the severity the policy
//! gives each (`[docs.rules]`). One list: the policy parser, the checks,
//! `tollgate init` and the README all read [`DocRule::ALL`].

use serde::de::{Deserializer, Error as _};
use serde::{Deserialize, Serialize};

use crate::finding::Severity;

macro_rules! doc_rules {
    ($($variant:ident = $id:literal: $what:literal,)*) => {
        /// One drift rule of `docs check` (and `docs checklist`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum DocRule {
            $(#[doc = $what] $variant,)*
        }

        impl DocRule {
            /// Every rule, in the README's order.
            pub const ALL: &'static [DocRule] = &[$(DocRule::$variant,)*];

            /// The rule's id, as findings and `[docs.rules]` name it.
            pub fn id(self) -> &'static str {
                match self {
                    $(DocRule::$variant => $id,)*
                }
            }

            /// What the rule reports, in a few words.
            pub fn what(self) -> &'static str {
                match self {
                    $(DocRule::$variant => $what,)*
                }
            }
        }
    };
}

doc_rules! {
    BoardTable = "board.table": "a board table split by a blank line, or a row with the wrong cell count",
    CsvMalformed = "csv.malformed": "glued CSV records, wrong field counts, inconsistent line endings",
    CsvIntegrity = "csv.integrity": "missing CSV columns, empty or duplicate IDs, too few rows",
    CsvLargeEdit = "csv.large-edit": "more CSV rows lost against git HEAD than docs.max_csv_row_loss",
    BoardMissingInCsv = "board.missing-in-csv": "a task on the board but not in the CSV",
    CsvMissingOnBoard = "csv.missing-on-board": "a task in the CSV but not on the board",
    BoardTitleMismatch = "board.title-mismatch": "the board and the CSV give a task different titles",
    BoardStatusMismatch = "board.status-mismatch": "the board and the CSV give a task different statuses",
    BoardNarrativeDuplicate = "board.narrative-duplicate": "a card in two narrative columns",
    BoardNarrativeStatus = "board.narrative-status": "a narrative column that contradicts the snapshot's status",
    PlanUnknownId = "plan.unknown-id": "a task in a plan table that is on neither board",
    PlanStatusMismatch = "plan.status-mismatch": "a plan says done where the board says not, or the reverse",
    PlanTitleMismatch = "plan.title-mismatch": "a plan table gives a task another title than the board",
    CsvPlanlink = "csv.planlink": "a PlanLink that does not exist or does not mention the task",
    PlanIndex = "plan.index": "the plan index cites a missing file, or misses a plan file",
    RoadmapOverdue = "roadmap.overdue": "a milestone past its target date whose task is not done",
    RoadmapUnknownId = "roadmap.unknown-id": "a milestone with no task ID, or one on neither board",
    BacklogDone = "backlog.done": "a backlog entry whose task is done",
    BacklogUnknownId = "backlog.unknown-id": "a backlog entry whose task is on neither board",
    DocsEvidencePath = "docs.evidence-path": "a cited evidence path that does not exist",
    DocsReadmeHash = "docs.readme-hash": "a cited README hash that matches no bundle README",
    DocsMissing = "docs.missing": "a document the policy names cannot be read",
    ChecklistUnchecked = "checklist.unchecked": "an unchecked release checklist item",
    ChecklistEmpty = "checklist.empty": "a release checklist with no items, so nothing was checked",
}

impl DocRule {
    /// The rule with id `id`.
    pub fn from_id(id: &str) -> Option<DocRule> {
        DocRule::ALL.iter().copied().find(|r| r.id() == id)
    }

    /// Every id, comma-separated, for messages.
    pub fn ids() -> String {
        DocRule::ALL
            .iter()
            .map(|r| r.id())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl std::fmt::Display for DocRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for DocRule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for DocRule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let id = String::deserialize(d)?;
        DocRule::from_id(&id).ok_or_else(|| {
            D::Error::custom(format!(
                "unknown docs rule '{id}'; the rules are: {}",
                DocRule::ids()
            ))
        })
    }
}

/// The severity `[docs.rules]` gives a rule; unlisted rules block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleLevel {
    Block,
    Warn,
    Info,
    Off,
}

impl RuleLevel {
    /// The findings' severity, or `None` when the rule is off.
    pub fn severity(self) -> Option<Severity> {
        match self {
            RuleLevel::Block => Some(Severity::Block),
            RuleLevel::Warn => Some(Severity::Warn),
            RuleLevel::Info => Some(Severity::Info),
            RuleLevel::Off => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in DocRule::ALL {
            assert_eq!(DocRule::from_id(r.id()), Some(*r));
            assert!(seen.insert(r.id()), "{} twice", r.id());
        }
        assert_eq!(DocRule::from_id("board.tabel"), None);
    }
}
