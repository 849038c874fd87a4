//! The shared ledger store: PostgreSQL, for many CI runners and approvers.
//! An append takes a transaction-scoped advisory lock, reads the last entry,
//! inserts the one extending it and moves the head row, all in one
//! transaction, so appends from any number of machines keep one chain; a
//! transient conflict is retried. TLS is used when the server offers it
//! (`sslmode=require` insists). Every connect and statement has a timeout.

use std::cell::RefCell;
use std::time::Duration;

use postgres::{Client, Transaction};

use super::backend;
use super::store::{Entry, Head, LedgerStore, MakeEntry, StoredHead, SCHEMA_VERSION};
use crate::error::{Error, Result};

/// The advisory lock every append and schema change holds ("tollgate").
const LOCK_KEY: i64 = 0x746f_6c6c_6761_7465;

/// How long a connect, a lock wait or a statement may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// How often an append that lost a conflict is retried.
const RETRIES: usize = 5;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tollgate_schema (version bigint NOT NULL);
CREATE TABLE IF NOT EXISTS tollgate_entries (
    seq bigint PRIMARY KEY,
    time text NOT NULL,
    kind text NOT NULL,
    subject text NOT NULL,
    payload text NOT NULL,
    payload_digest text NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL
);
CREATE INDEX IF NOT EXISTS tollgate_entries_kind_subject ON tollgate_entries (kind, subject);
CREATE TABLE IF NOT EXISTS tollgate_head (
    id integer PRIMARY KEY CHECK (id = 1),
    seq bigint NOT NULL,
    hash text NOT NULL
);";

const COLUMNS: &str = "seq, time, kind, subject, payload, payload_digest, prev_hash, hash";

/// A ledger in a PostgreSQL database.
pub struct PgStore {
    /// `None` only once dropped (given back to the pool).
    client: RefCell<Option<Client>>,
    at: String,
}

/// Connections given back by dropped stores, by location: a command opens
/// the ledger several times, and connecting (TLS set-up, authentication)
/// costs more than most queries.
static POOL: std::sync::Mutex<Vec<(String, Client)>> = std::sync::Mutex::new(Vec::new());

/// A pooled connection to `at` that still answers.
fn pooled(at: &str) -> Option<Client> {
    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    while let Some(i) = pool.iter().position(|(a, _)| a == at) {
        let (_, mut client) = pool.swap_remove(i);
        if client.is_valid(TIMEOUT).is_ok() {
            return Some(client);
        }
    }
    None
}

impl Drop for PgStore {
    fn drop(&mut self) {
        if let Some(client) = self.client.get_mut().take() {
            let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
            pool.push((self.at.clone(), client));
        }
    }
}

impl PgStore {
    /// Connect (the password from the URL, `PGPASSWORD` or the pgpass
    /// file), then create or migrate the schema. A schema newer than this
    /// tollgate knows is refused.
    pub fn open(config: &postgres::Config) -> Result<PgStore> {
        let at = backend::shown(config);
        if let Some(client) = pooled(&at) {
            return Ok(PgStore {
                client: RefCell::new(Some(client)),
                at,
            });
        }
        let mut config = config.clone();
        if config.get_password().is_none() {
            if let Some(p) = backend::password(&config) {
                config.password(p);
            }
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(TIMEOUT);
        }
        config
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(10))
            .tcp_user_timeout(TIMEOUT)
            .application_name("tollgate");
        let tls = postgres_native_tls::MakeTlsConnector::new(tls_connector(&at)?);
        let mut client = config
            .connect(tls)
            .map_err(|e| Error::remote(&at, format!("cannot connect: {}", reason(&e))))?;
        let ms = TIMEOUT.as_millis();
        client
            .batch_execute(&format!(
                "SET statement_timeout = {ms}; SET lock_timeout = {ms}; SET idle_in_transaction_session_timeout = {ms};"
            ))
            .map_err(|e| Error::remote(&at, reason(&e)))?;
        let store = PgStore {
            client: RefCell::new(Some(client)),
            at,
        };
        store.migrate()?;
        Ok(store)
    }

    /// The connection, borrowed for one operation.
    fn client(&self) -> Result<std::cell::RefMut<'_, Client>> {
        std::cell::RefMut::filter_map(self.client.borrow_mut(), Option::as_mut)
            .map_err(|_| Error::remote(&self.at, "the connection was given back"))
    }

    fn err(&self, e: postgres::Error) -> Error {
        Error::remote(&self.at, format!("ledger database: {}", reason(&e)))
    }

    /// Create the schema, or check its version, under the lock.
    fn migrate(&self) -> Result<()> {
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(|e| self.err(e))?;
        lock(&mut tx).map_err(|e| self.err(e))?;
        tx.batch_execute(SCHEMA).map_err(|e| self.err(e))?;
        let version: Option<i64> = tx
            .query_opt("SELECT max(version) FROM tollgate_schema", &[])
            .map_err(|e| self.err(e))?
            .and_then(|r| r.get(0));
        match version {
            Some(v) if v > SCHEMA_VERSION => {
                return Err(Error::refused(
                    &self.at,
                    format!("the ledger's schema is version {v}, newer than this tollgate knows ({SCHEMA_VERSION}): upgrade tollgate"),
                ))
            }
            Some(v) if v == SCHEMA_VERSION => {}
            _ => {
                tx.execute("DELETE FROM tollgate_schema", &[])
                    .map_err(|e| self.err(e))?;
                tx.execute(
                    "INSERT INTO tollgate_schema (version) VALUES ($1)",
                    &[&SCHEMA_VERSION],
                )
                .map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))
    }
}

/// One append attempt in its own transaction: a database failure (which
/// may be retried) outside, the append's own outcome (a refusal from
/// `make`) inside.
fn try_append(
    client: &mut Client,
    kind: &str,
    subject: &str,
    with_same: bool,
    make: &mut MakeEntry,
) -> std::result::Result<Result<Entry>, postgres::Error> {
    let mut tx = client.transaction()?;
    lock(&mut tx)?;
    let last = last_entry(&mut tx)?;
    let same: Vec<Entry> = if !with_same {
        Vec::new()
    } else {
        tx.query(
            &format!("SELECT {COLUMNS} FROM tollgate_entries WHERE kind = $1 AND subject = $2 ORDER BY seq"),
            &[&kind, &subject],
        )?
        .iter()
        .map(row_entry)
        .collect()
    };
    let e = match make(last.as_ref(), &same) {
        Ok(e) => e,
        Err(refused) => return Ok(Err(refused)),
    };
    insert(&mut tx, &e)?;
    set_head(&mut tx, &e)?;
    tx.commit()?;
    Ok(Ok(e))
}

/// TLS as libpq's `sslmode=prefer`/`require` do it: encrypted, the server's
/// certificate unchecked, unless `PGSSLROOTCERT` names the CA to check it
/// (and the host name) against.
fn tls_connector(at: &str) -> Result<native_tls::TlsConnector> {
    let mut b = native_tls::TlsConnector::builder();
    // As libpq: only the named CA is trusted (and loading the system's
    // roots would cost every command tens of milliseconds).
    b.disable_built_in_roots(true);
    match std::env::var_os("PGSSLROOTCERT") {
        Some(path) => {
            let pem = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
            let cert = native_tls::Certificate::from_pem(&pem)
                .map_err(|e| Error::parse(&path, None, format!("not a PEM certificate: {e}")))?;
            b.add_root_certificate(cert);
        }
        None => {
            b.danger_accept_invalid_certs(true)
                .danger_accept_invalid_hostnames(true);
        }
    }
    b.build()
        .map_err(|e| Error::remote(at, format!("TLS: {e}")))
}

/// The server's message when it sent one (wrong password, no such
/// database...), else the client's.
fn reason(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => {
            let mut s = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(inner) = source {
                s = format!("{s}: {inner}");
                source = inner.source();
            }
            s
        }
    }
}

/// Worth retrying: a serialization failure, a deadlock, or another
/// appender's row at the same `seq`.
fn transient(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    e.code().is_some_and(|c| {
        [
            SqlState::T_R_SERIALIZATION_FAILURE,
            SqlState::T_R_DEADLOCK_DETECTED,
            SqlState::UNIQUE_VIOLATION,
        ]
        .contains(c)
    })
}

fn lock(tx: &mut Transaction) -> std::result::Result<(), postgres::Error> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .map(drop)
}

fn last_entry(tx: &mut Transaction) -> std::result::Result<Option<Entry>, postgres::Error> {
    Ok(tx
        .query_opt(
            &format!("SELECT {COLUMNS} FROM tollgate_entries ORDER BY seq DESC LIMIT 1"),
            &[],
        )?
        .as_ref()
        .map(row_entry))
}

fn all_entries(
    db: &mut impl postgres::GenericClient,
) -> std::result::Result<Vec<Entry>, postgres::Error> {
    Ok(db
        .query(
            &format!("SELECT {COLUMNS} FROM tollgate_entries ORDER BY seq"),
            &[],
        )?
        .iter()
        .map(row_entry)
        .collect())
}

fn insert(tx: &mut Transaction, e: &Entry) -> std::result::Result<u64, postgres::Error> {
    tx.execute(
        &format!(
            "INSERT INTO tollgate_entries ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ),
        &[
            &e.seq,
            &e.time,
            &e.kind,
            &e.subject,
            &e.payload,
            &e.payload_digest,
            &e.prev_hash,
            &e.hash,
        ],
    )
}

fn set_head(tx: &mut Transaction, e: &Entry) -> std::result::Result<u64, postgres::Error> {
    tx.execute(
        "INSERT INTO tollgate_head (id, seq, hash) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET seq = $1, hash = $2",
        &[&e.seq, &e.hash],
    )
}

fn row_entry(r: &postgres::Row) -> Entry {
    Entry {
        seq: r.get(0),
        time: r.get(1),
        kind: r.get(2),
        subject: r.get(3),
        payload: r.get(4),
        payload_digest: r.get(5),
        prev_hash: r.get(6),
        hash: r.get(7),
    }
}

impl LedgerStore for PgStore {
    fn append(
        &mut self,
        kind: &str,
        subject: &str,
        with_same: bool,
        make: &mut MakeEntry,
    ) -> Result<Entry> {
        let mut client = self.client()?;
        let mut tries = 0;
        loop {
            match try_append(&mut client, kind, subject, with_same, make) {
                Ok(done) => return done,
                Err(e) if transient(&e) && tries < RETRIES => tries += 1,
                Err(e) => return Err(self.err(e)),
            }
        }
    }

    fn entries(&self) -> Result<Vec<Entry>> {
        all_entries(&mut *self.client()?).map_err(|e| self.err(e))
    }

    fn location(&self) -> String {
        self.at.clone()
    }

    fn shared(&self) -> bool {
        true
    }

    fn snapshot(&self) -> Result<(Vec<Entry>, StoredHead)> {
        let mut client = self.client()?;
        let mut tx = client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(|e| self.err(e))?;
        let entries = all_entries(&mut tx).map_err(|e| self.err(e))?;
        let row = tx
            .query_opt("SELECT seq, hash FROM tollgate_head WHERE id = 1", &[])
            .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        let head = match row {
            Some(r) => StoredHead::At(Head {
                seq: r.get(0),
                hash: r.get(1),
            }),
            None => StoredHead::Missing,
        };
        Ok((entries, head))
    }

    fn import(&mut self, entries: &[Entry]) -> Result<()> {
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(|e| self.err(e))?;
        lock(&mut tx).map_err(|e| self.err(e))?;
        let last = last_entry(&mut tx).map_err(|e| self.err(e))?;
        super::store::extends(last.as_ref(), entries, &self.at)?;
        for e in entries {
            insert(&mut tx, e).map_err(|e| self.err(e))?;
        }
        if let Some(e) = entries.last() {
            set_head(&mut tx, e).map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
    }
}
