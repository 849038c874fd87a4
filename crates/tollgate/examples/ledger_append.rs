//! `bench/ledger.sh`'s writer: append N entries to the workspace's ledger
//! (SQLite, or PostgreSQL with `TOLLGATE_LEDGER_URL`) through the same
//! `Ledger::append` every command uses, one transaction each.
//!
//! Usage: `ledger_append WORKSPACE N [SUBJECT]`

use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, ws, n, rest @ ..] = args.as_slice() else {
        return Err("usage: ledger_append WORKSPACE N [SUBJECT]".into());
    };
    let subject = rest.first().map_or("bench", String::as_str);
    let ws = tollgate::policy::Workspace::discover(Some(Path::new(ws)), Path::new("."))?;
    let mut ledger = tollgate::record::ledger::Ledger::open(&ws)?;
    for i in 0..n.parse::<usize>()? {
        ledger.append("bench", subject, &serde_json::json!({ "i": i }))?;
    }
    Ok(())
}
