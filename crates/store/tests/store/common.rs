//! The per-backend harness and fixtures shared by the tests.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use dialtone_store::{NewCall, Store};
use dialtone_types::{CallStatus, Direction, Sid, SidKind, UnixMillis};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

/// Where to turn when a prerequisite is missing.
const PROVISION: &str =
    "`.ci/test` provisions everything the tests need and runs them (see README.md, Quickstart)";

/// A database for one test, which can be opened (and reopened) as a [`Store`].
pub enum Harness {
    /// A SQLite file in a directory removed when the harness is dropped.
    Sqlite {
        _dir: tempfile::TempDir,
        path: PathBuf,
    },
    /// A database created for this test on the server at `DIALTONE_TEST_POSTGRES_URL`.
    Postgres {
        server: Box<PgConnectOptions>,
        database: String,
    },
}

static DATABASES: AtomicU32 = AtomicU32::new(0);

impl Harness {
    /// A fresh SQLite database; the file is created by the first `open`.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        // A subdirectory that does not exist yet: the store must create it.
        let path = dir.path().join("data").join("dialtone.db");
        Self::Sqlite { _dir: dir, path }
    }

    /// A fresh PostgreSQL database on the server at `DIALTONE_TEST_POSTGRES_URL`; the test
    /// fails when the variable is not set.
    pub async fn postgres(test: &str) -> Self {
        let url = std::env::var("DIALTONE_TEST_POSTGRES_URL").unwrap_or_else(|_| {
            panic!(
                "DIALTONE_TEST_POSTGRES_URL is not set: the PostgreSQL store tests need a server \
                 on which they may create databases\n{PROVISION}"
            )
        });
        let server = PgConnectOptions::from_str(&url).expect("DIALTONE_TEST_POSTGRES_URL");
        let database = format!(
            "store_{}_{}_{}",
            test,
            std::process::id(),
            DATABASES.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = PgConnection::connect_with(&server).await.expect("connect");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE \"{database}\""
        )))
        .execute(&mut admin)
        .await
        .expect("create test database");
        admin.close().await.expect("close");
        Self::Postgres {
            server: Box::new(server),
            database,
        }
    }

    /// Opens the store (running migrations, as at start-up).
    pub async fn open(&self) -> Store {
        match self {
            Self::Sqlite { path, .. } => {
                Store::connect(&format!("sqlite://{}", path.display())).await
            }
            Self::Postgres { server, database } => {
                Store::connect_postgres((**server).clone().database(database)).await
            }
        }
        .expect("open store")
    }

    /// Drops the PostgreSQL database (the SQLite directory goes with the harness).
    pub async fn cleanup(self) {
        if let Self::Postgres { server, database } = self {
            let mut admin = PgConnection::connect_with(&server).await.expect("connect");
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await
            .expect("drop test database");
        }
    }
}

/// Turns `async fn name(h: &Harness)` items of the calling module into a test per backend.
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let harness = $crate::common::Harness::sqlite();
                    super::$name(&harness).await;
                    harness.cleanup().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let harness = $crate::common::Harness::postgres(stringify!($name)).await;
                    super::$name(&harness).await;
                    harness.cleanup().await;
                }
            )*
        }
    };
}
pub(crate) use backend_tests;

/// The test account.
pub const ACCOUNT: Sid = Sid::new(SidKind::Account, 0xac01);
/// Another account, whose records the test account must not see.
pub const OTHER: Sid = Sid::new(SidKind::Account, 0xac02);
/// The test account's token.
pub const TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// An instant in 2024, plus `s` seconds.
pub fn at(s: u64) -> UnixMillis {
    UnixMillis(1_717_200_000_000 + s * 1000)
}

/// Opens the store and creates both accounts.
pub async fn open_with_accounts(h: &Harness) -> Store {
    let store = h.open().await;
    store.ensure_account(ACCOUNT, TOKEN, at(0)).await.unwrap();
    store
        .ensure_account(OTHER, "ffffffffffffffffffffffffffffffff", at(0))
        .await
        .unwrap();
    store
}

/// The SID of call number `n`.
pub fn call_sid(n: u128) -> Sid {
    Sid::new(SidKind::Call, n)
}

/// A queued outbound-api call to `client:alice` running `http://app/voice`.
pub fn new_call(n: u128) -> NewCall {
    NewCall {
        sid: call_sid(n),
        parent_call_sid: None,
        to: "client:alice".to_owned(),
        from: "+15551230000".to_owned(),
        status: CallStatus::Queued,
        direction: Direction::OutboundApi,
        application_sid: None,
        url: Some("http://app/voice".to_owned()),
        method: "POST".to_owned(),
        twiml: None,
        fallback_url: None,
        fallback_method: "POST".to_owned(),
        status_callback: Some("http://app/status".to_owned()),
        status_callback_method: "POST".to_owned(),
        status_callback_events: vec!["completed".to_owned()],
        timeout: 60,
        time_limit: None,
        caller_name: None,
        forwarded_from: None,
    }
}
