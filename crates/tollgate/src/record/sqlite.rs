//! The embedded ledger store: one SQLite table in WAL mode, appended to
//! inside an immediate transaction so that concurrent appenders serialise
//! (each waits up to the busy timeout). The schema version is SQLite's
//! `user_version`.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use super::store::{Entry, LedgerStore, MakeEntry, StoredHead, SCHEMA_VERSION};
use crate::error::{Error, Result};

/// A ledger in an SQLite database file.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload TEXT NOT NULL,
    payload_digest TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
)";

const COLUMNS: &str = "seq, time, kind, subject, payload, payload_digest, prev_hash, hash";

impl SqliteStore {
    /// Open or create the database at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        let err = db_error(path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let conn = Connection::open(path).map_err(&err)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(&err)?;
        // WAL lets readers go on while one process appends.
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
            .map_err(&err)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(&err)?;
        if version > SCHEMA_VERSION {
            return Err(Error::refused(
                path,
                format!("the ledger's schema is version {version}, newer than this tollgate knows ({SCHEMA_VERSION}): upgrade tollgate"),
            ));
        }
        if version < SCHEMA_VERSION {
            conn.execute_batch(&format!(
                "BEGIN IMMEDIATE; {SCHEMA}; PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            ))
            .map_err(&err)?;
        }
        Ok(SqliteStore {
            conn,
            path: path.to_path_buf(),
        })
    }
}

/// A database error, as an error about the ledger file at `path`.
fn db_error(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| Error::parse(path, None, format!("ledger database: {e}"))
}

/// An immediate (write-locking) transaction, and the last entry read in it.
fn begin_write(
    conn: &mut Connection,
) -> rusqlite::Result<(rusqlite::Transaction<'_>, Option<Entry>)> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let last = last_entry(&tx)?;
    Ok((tx, last))
}

/// A row as an entry. Columns are read whatever their stored type, so a
/// tampered row becomes a chain finding instead of a read error.
fn row_entry(r: &rusqlite::Row) -> rusqlite::Result<Entry> {
    use rusqlite::types::Value;
    let text = |i: usize| -> rusqlite::Result<String> {
        Ok(match r.get::<_, Value>(i)? {
            Value::Null => String::new(),
            Value::Integer(n) => n.to_string(),
            Value::Real(x) => x.to_string(),
            Value::Text(t) => t,
            Value::Blob(b) => String::from_utf8_lossy(&b).into_owned(),
        })
    };
    Ok(Entry {
        seq: r.get(0)?,
        time: text(1)?,
        kind: text(2)?,
        subject: text(3)?,
        payload: text(4)?,
        payload_digest: text(5)?,
        prev_hash: text(6)?,
        hash: text(7)?,
    })
}

fn last_entry(tx: &rusqlite::Transaction) -> rusqlite::Result<Option<Entry>> {
    tx.query_row(
        &format!("SELECT {COLUMNS} FROM entries ORDER BY seq DESC LIMIT 1"),
        [],
        row_entry,
    )
    .optional()
}

fn insert(tx: &rusqlite::Transaction, e: &Entry) -> rusqlite::Result<usize> {
    tx.execute(
        &format!("INSERT INTO entries ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
        rusqlite::params![
            e.seq,
            e.time,
            e.kind,
            e.subject,
            e.payload,
            e.payload_digest,
            e.prev_hash,
            e.hash
        ],
    )
}

impl LedgerStore for SqliteStore {
    fn append(
        &mut self,
        kind: &str,
        subject: &str,
        with_same: bool,
        make: &mut MakeEntry,
    ) -> Result<Entry> {
        let err = db_error(&self.path);
        let (tx, last) = begin_write(&mut self.conn).map_err(&err)?;
        let same = if !with_same {
            Vec::new()
        } else {
            let mut stmt = tx
                .prepare(&format!(
                    "SELECT {COLUMNS} FROM entries WHERE kind = ?1 AND subject = ?2 ORDER BY seq"
                ))
                .map_err(&err)?;
            let rows = stmt.query_map([kind, subject], row_entry).map_err(&err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(&err)?
        };
        let e = make(last.as_ref(), &same)?;
        insert(&tx, &e).map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(e)
    }

    fn entries(&self) -> Result<Vec<Entry>> {
        let err = db_error(&self.path);
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM entries ORDER BY seq"))
            .map_err(&err)?;
        let rows = stmt.query_map([], row_entry).map_err(&err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(&err)
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn shared(&self) -> bool {
        false
    }

    fn snapshot(&self) -> Result<(Vec<Entry>, StoredHead)> {
        Ok((self.entries()?, StoredHead::NotKept))
    }

    fn import(&mut self, entries: &[Entry]) -> Result<()> {
        let err = db_error(&self.path);
        let (tx, last) = begin_write(&mut self.conn).map_err(&err)?;
        super::store::extends(last.as_ref(), entries, &self.path.display().to_string())?;
        for e in entries {
            insert(&tx, e).map_err(&err)?;
        }
        tx.commit().map_err(&err)
    }
}
