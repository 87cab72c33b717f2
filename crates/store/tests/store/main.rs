//! Integration tests of `dialtone-store`, written once and run on every backend.
//!
//! Each test is an `async fn(&Harness)`; `backend_tests!` turns it into one test per backend:
//! SQLite always (a file in a temporary directory), PostgreSQL when
//! `DIALTONE_TEST_POSTGRES_URL` names a server where the user may create databases (each test
//! gets a fresh database, dropped afterwards).

mod common;

mod accounts;
mod applications;
mod calls;
mod connect;
mod contents;
mod events;
mod keys;
mod notifications;
mod nul_text;
mod outbox;
mod recordings;
mod senders;
mod throughput;
mod transitions;
