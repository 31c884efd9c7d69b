//! Typed store errors. Every failed call leaves stored data as it was.

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No row of this kind has this id (or key).
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    /// A unique name or key is taken.
    #[error("{what} {name:?} already exists")]
    Duplicate { what: &'static str, name: String },
    /// The database server does not answer. `url` never contains a password.
    #[error("database {url} is unavailable: {message}")]
    Unavailable { url: String, message: String },
    /// The data directory (or the database file in it) cannot be written.
    #[error("data directory {path} is not writable: {message}")]
    NotWritable { path: String, message: String },
    /// The SQLite database file is damaged, or is not a database at all.
    #[error(
        "database file {path} is damaged or is not a SQLite database ({message}); \
         restore it from a backup, or move it away to start with an empty store"
    )]
    Corrupt { path: String, message: String },
    /// The database was migrated by a newer tradelab than this one.
    #[error(
        "database schema version {found} is newer than this build supports ({supported}); \
         upgrade tradelab or point it at another database"
    )]
    SchemaTooNew { found: i64, supported: i64 },
    /// Input (or a stored value) breaks an invariant; names the field and why.
    #[error("invalid {what}: {message}")]
    InvalidData { what: &'static str, message: String },
    /// The call conflicts with the current state (e.g. a finished run cannot start,
    /// a model with runs cannot be deleted).
    #[error("{what}: {message}")]
    Conflict { what: &'static str, message: String },
    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Shorthand for store results.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    pub(crate) fn not_found(what: &'static str, id: impl std::fmt::Display) -> Self {
        StoreError::NotFound {
            what,
            id: id.to_string(),
        }
    }

    pub(crate) fn invalid(what: &'static str, message: impl Into<String>) -> Self {
        StoreError::InvalidData {
            what,
            message: message.into(),
        }
    }
}

/// True when the error is a unique-constraint violation.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

/// True when the error is a foreign-key violation.
pub(crate) fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_foreign_key_violation())
}

/// Maps a unique violation to [`StoreError::Duplicate`], anything else to `Database`.
pub(crate) fn duplicate_or(e: sqlx::Error, what: &'static str, name: &str) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::Duplicate {
            what,
            name: name.to_string(),
        }
    } else {
        StoreError::Database(e)
    }
}
