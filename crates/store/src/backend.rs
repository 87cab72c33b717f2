//! The [`Store`] handle: which database, how it is opened, and how queries reach it.
//!
//! SQLite allows one writer at a time; letting several pooled connections race for the write
//! lock makes them sleep in SQLite's busy handler. So the SQLite backend keeps two pools: one
//! connection for writes (callers queue fairly in the pool) and a few for reads, which WAL lets
//! run beside the writer. PostgreSQL uses one pool for both.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::Connection;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use dialtone_types::Sid;

use crate::error::{Context, StoreError};
use crate::page::{Page, PageRequest, PageToken};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// How long a SQLite connection waits for another process's write lock before failing.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Reader connections for a SQLite file (writes always go through a single connection).
const SQLITE_READERS: u32 = 4;
/// Connections to PostgreSQL.
const POSTGRES_CONNECTIONS: u32 = 10;

/// Which database a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// Embedded SQLite (a file, or memory).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

#[derive(Debug, Clone)]
pub(crate) enum Pools {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Postgres(PgPool),
}

/// A handle on the database; cheap to clone, shared by every task.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) pools: Pools,
    /// Seals API key secrets ([`Store::with_secret_key`]); without it secrets are not kept.
    pub(crate) secret_key: Option<std::sync::Arc<crate::SecretKey>>,
}

/// Runs `$body` with `$pool` bound to the pool for reads of the store's backend.
///
/// The body is expanded once per backend, so every query in it is typed for that driver.
macro_rules! on_read {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pools {
            $crate::backend::Pools::Sqlite { read: $pool, .. } => $body,
            $crate::backend::Pools::Postgres($pool) => $body,
        }
    };
}

/// Like `on_read!`, with the pool for writes.
macro_rules! on_write {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pools {
            $crate::backend::Pools::Sqlite { write: $pool, .. } => $body,
            $crate::backend::Pools::Postgres($pool) => $body,
        }
    };
}

impl Store {
    /// Seals API key secrets created from now on with `key`, and opens them with it
    /// ([`Store::key_secret`]), so that access tokens can be verified.
    #[must_use]
    pub fn with_secret_key(mut self, key: crate::SecretKey) -> Self {
        self.secret_key = Some(std::sync::Arc::new(key));
        self
    }

    /// Runs `sql`, a `SELECT` of record `sid` (`$1`) of `account` (`$2`), and converts the row;
    /// `NotFound(what)` when nothing matched, so another account's record is indistinguishable
    /// from a missing one.
    pub(crate) async fn fetch_owned<R, T>(
        &self,
        sql: &'static str,
        context: &'static str,
        what: &'static str,
        account: Sid,
        sid: Sid,
    ) -> Result<T, StoreError>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
        T: TryFrom<R, Error = StoreError>,
    {
        let row: Option<R> = on_read!(self, pool => sqlx::query_as(sql)
            .bind(sid.to_string())
            .bind(account.to_string())
            .fetch_optional(pool)
            .await)
        .ctx(context)?;
        row.ok_or(StoreError::NotFound(what))?.try_into()
    }

    /// Runs `sql`, a `SELECT` of one page of `account`'s records (`$1` the account, `$2`/`$3`
    /// the cursor's time and SID, `$4`/`$5` limit and offset, oldest first), and converts the
    /// rows into a page keyed by `token`.
    pub(crate) async fn list_owned<R, T>(
        &self,
        sql: &'static str,
        context: &'static str,
        account: Sid,
        page: &PageRequest,
        token: impl Fn(&T) -> PageToken,
    ) -> Result<Page<T>, StoreError>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
        T: TryFrom<R, Error = StoreError>,
    {
        let (after_time, after_sid) = page.cursor();
        let rows: Vec<R> = on_read!(self, pool => sqlx::query_as(sql)
            .bind(account.to_string())
            .bind(after_time)
            .bind(after_sid)
            .bind(page.limit())
            .bind(page.offset())
            .fetch_all(pool)
            .await)
        .ctx(context)?;
        let items = rows
            .into_iter()
            .map(T::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(items, page, token))
    }

    /// Runs `sql`, a `DELETE` of record `sid` (`$1`) of `account` (`$2`); `NotFound(what)` when
    /// nothing matched, so another account's record is indistinguishable from a missing one.
    pub(crate) async fn delete_owned(
        &self,
        sql: &'static str,
        context: &'static str,
        what: &'static str,
        account: Sid,
        sid: Sid,
    ) -> Result<(), StoreError> {
        let done = on_write!(self, pool => sqlx::query(sql)
            .bind(sid.to_string())
            .bind(account.to_string())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
        .ctx(context)?;
        if done == 0 {
            return Err(StoreError::NotFound(what));
        }
        Ok(())
    }

    /// Opens the database named by `url` and brings its schema up to date.
    ///
    /// Accepted forms: `sqlite://path/to/file.db` (the file and its directory are created if
    /// missing), `sqlite::memory:` (private to this handle, gone when it is dropped), and
    /// `postgres://user:password@host:port/database` (or `postgresql://`).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        if url == "sqlite::memory:" || url == "sqlite://:memory:" {
            return Self::open_sqlite_memory().await;
        }
        if url.starts_with("sqlite:") {
            if url.contains("mode=memory") {
                return Self::open_sqlite_memory().await;
            }
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::InvalidUrl(format!("{url}: {e}")))?;
            return Self::open_sqlite(options).await;
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)
                .map_err(|e| StoreError::InvalidUrl(format!("{e}")))?;
            return Self::connect_postgres(options).await;
        }
        Err(StoreError::InvalidUrl(
            "expected sqlite://PATH, sqlite::memory: or postgres://...".to_owned(),
        ))
    }

    /// Opens (creating if needed) the SQLite database file at `path`.
    pub async fn open_sqlite_file(path: &Path) -> Result<Self, StoreError> {
        Self::open_sqlite(SqliteConnectOptions::new().filename(path)).await
    }

    /// A fresh in-memory SQLite database, private to this handle.
    ///
    /// It uses a single connection: an in-memory database lives only while a connection to it
    /// is open, and one connection keeps SQLite's shared-cache locking out of the picture.
    pub async fn open_sqlite_memory() -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(|e| StoreError::InvalidUrl(e.to_string()))?
            .foreign_keys(true)
            .busy_timeout(SQLITE_BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::backend("open in-memory SQLite", e))?;
        let store = Self {
            pools: Pools::Sqlite {
                read: pool.clone(),
                write: pool,
            },
            secret_key: None,
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn open_sqlite(options: SqliteConnectOptions) -> Result<Self, StoreError> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(SQLITE_BUSY_TIMEOUT)
            .foreign_keys(true);
        let dir = options.get_filename().parent().unwrap_or(Path::new(""));
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::InvalidUrl(format!("cannot create directory {}: {e}", dir.display()))
            })?;
        }
        // The writer opens (and creates) the file first, so readers find it in WAL mode.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(|e| StoreError::backend("open SQLite database", e))?;
        let read = SqlitePoolOptions::new()
            .max_connections(SQLITE_READERS)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::backend("open SQLite database for reading", e))?;
        let store = Self {
            pools: Pools::Sqlite { read, write },
            secret_key: None,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Connects to PostgreSQL with explicit options (tests use it to pick a database).
    pub async fn connect_postgres(options: PgConnectOptions) -> Result<Self, StoreError> {
        // One direct attempt first: the pool would keep retrying an unreachable server until
        // its acquire timeout, and a wrong URL should be reported at once.
        PgConnection::connect_with(&options)
            .await
            .map_err(|e| StoreError::backend("connect to PostgreSQL", e))?
            .close()
            .await
            .map_err(|e| StoreError::backend("connect to PostgreSQL", e))?;
        let pool = PgPoolOptions::new()
            .max_connections(POSTGRES_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::backend("connect to PostgreSQL", e))?;
        let store = Self {
            pools: Pools::Postgres(pool),
            secret_key: None,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the backend's pending migrations (done by every constructor).
    async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pools {
            Pools::Sqlite { write, .. } => SQLITE_MIGRATIONS.run(write).await,
            Pools::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
        }
        .map_err(StoreError::Migrate)
    }

    /// Which database this store runs on.
    pub fn backend(&self) -> BackendKind {
        match self.pools {
            Pools::Sqlite { .. } => BackendKind::Sqlite,
            Pools::Postgres(_) => BackendKind::Postgres,
        }
    }

    /// Closes every connection, waiting for queries in progress. Later calls fail.
    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Pools::Postgres(pool) => pool.close().await,
        }
    }
}
