//! Persistence for Dialtone: everything that must outlive the process.
//!
//! The REST API reads and writes accounts, API keys, applications and calls here; the runtime
//! records every webhook it makes (call events), every error it reports (notifications) and
//! every status callback it owes (the durable outbox), so that a restart finds live calls to
//! finish and callbacks still to deliver.
//!
//! Two backends behave the same: SQLite, embedded and the default (one file, WAL, no server to
//! run), and PostgreSQL, for several nodes sharing one database. Both run the same SQL text
//! (`$1` bind parameters work in both); each has its own migrations because their DDL differs.
//! The [`Store`] handle dispatches on the backend with a small macro, so every query is typed
//! exactly for the driver that runs it.
//!
//! The store never reads the clock and never invents identifiers: times ([`UnixMillis`]) and
//! SIDs are passed in, which keeps it deterministic under test. Every query about an account's
//! resource takes the [`AccountSid`](dialtone_types::Sid): another account's resource is simply
//! not found.
//!
//! [`UnixMillis`]: dialtone_types::UnixMillis
#![warn(missing_docs)]

// Macro-defining modules come first: `macro_rules!` is visible only after its definition.
#[macro_use]
mod backend;
#[macro_use]
mod outbox;
#[macro_use]
mod notifications;
mod accounts;
mod applications;
mod call_permissions;
mod calls;
mod contents;
mod convert;
mod error;
mod events;
mod keys;
mod media;
mod messages;
mod object_media;
mod page;
mod recordings;
mod sealed;
mod senders;
mod transitions;

pub use accounts::Account;
pub use applications::{Application, ApplicationUpdate, NewApplication};
pub use backend::{BackendKind, Store};
pub use call_permissions::CallPermission;
pub use calls::{Call, CallFilter, CallUpdate, DateOp, DateParseError, NewCall, TimeRange};
pub use contents::{Approval, ApprovalUpdate, Content, NewContent};
pub use error::StoreError;
pub use events::{CallEvent, NewCallEvent, RESPONSE_BODY_EXCERPT_MAX};
pub use keys::ApiKey;
pub use media::{FsRecordingStore, MediaFuture, RecordingStore};
pub use messages::{Message, MessageFilter, MessageUpdate, NewMessage};
pub use notifications::{NewNotification, Notification};
pub use object_media::{ObjectMediaError, ObjectRecordingStore, S3Settings, UploadRetry};
/// The object store crate, for callers that build their own (tests: its in-memory store).
pub use object_store;
pub use outbox::{NewOutboxItem, OutboxItem, OutboxState};
pub use page::{Page, PageRequest, PageSize, PageStart, PageToken, PageTokenError};
pub use recordings::{
    NewRecording, Recording, RecordingCallbackTarget, RecordingFilter, RecordingFinish,
    RecordingStatus,
};
pub use sealed::{SealError, SecretKey};
pub use senders::{NewSender, Sender, SenderUpdate, SenderWebhook};
pub use transitions::CallTransition;
