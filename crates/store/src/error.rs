//! What can go wrong in the store, in terms the REST API can map to Twilio errors.

/// A store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such record for this account (another account's record is not found either).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The write contradicts what is stored: a duplicate SID, a status after a terminal one,
    /// an outbox claim that is no longer held.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// A text field contains a NUL character, which PostgreSQL cannot store; refused on every
    /// backend so that both behave the same. Names the field.
    #[error("{0} contains a NUL character")]
    InvalidText(&'static str),
    /// The database URL is not one the store can open.
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    /// Bringing the schema up to date failed.
    #[error("database migration failed: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// A stored value could not be read back (written by something other than this crate).
    #[error("corrupt value in {column}: {detail}")]
    Corrupt {
        /// `table.column` holding the value.
        column: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// A sealed secret could not be made or opened (the store's secret key changed, or no
    /// randomness for a nonce).
    #[error("sealed secret: {0}")]
    Sealed(String),
    /// The database failed; `context` says what the store was doing.
    #[error("{context}: {source}")]
    Backend {
        /// The operation, e.g. `insert call`.
        context: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
}

impl StoreError {
    pub(crate) fn backend(context: &'static str, source: sqlx::Error) -> Self {
        Self::Backend { context, source }
    }

    pub(crate) fn corrupt(column: &'static str, detail: impl std::fmt::Display) -> Self {
        Self::Corrupt {
            column,
            detail: detail.to_string(),
        }
    }

    /// True when the operation may succeed if retried (a lost race on PostgreSQL).
    pub(crate) fn is_unique_violation(&self) -> bool {
        match self {
            Self::Backend {
                source: sqlx::Error::Database(db),
                ..
            } => db.is_unique_violation(),
            _ => false,
        }
    }
}

/// Attaches what the store was doing to a driver error.
pub(crate) trait Context<T> {
    /// Maps the driver error to [`StoreError::Backend`] with `context`.
    fn ctx(self, context: &'static str) -> Result<T, StoreError>;
    /// Like `ctx`, but a uniqueness violation becomes `Conflict(conflict)` and a foreign-key
    /// violation `NotFound("account")` (every foreign key of an inserted record is its account).
    fn ctx_conflict(self, context: &'static str, conflict: &'static str) -> Result<T, StoreError>;
}

impl<T> Context<T> for Result<T, sqlx::Error> {
    fn ctx(self, context: &'static str) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::backend(context, e))
    }

    fn ctx_conflict(self, context: &'static str, conflict: &'static str) -> Result<T, StoreError> {
        self.map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(conflict),
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::NotFound("account")
            }
            _ => StoreError::backend(context, e),
        })
    }
}
