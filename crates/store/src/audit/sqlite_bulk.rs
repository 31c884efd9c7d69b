//! The SQLite bulk insert of `run_events` rows, on the connection's own handle.
//!
//! Through sqlx, every bound value of every row is an allocation and a copy, and
//! the rows of a 1M-bar run (about 300,000, 14 values each) took seconds. sqlx lends
//! the connection's `sqlite3*` for direct calls ([`sqlx::sqlite::SqliteConnection::lock_handle`]:
//! its worker thread makes no call while the handle is lent), so the rows go through
//! a prepared statement of 32 rows, each value bound in place (`SQLITE_STATIC`:
//! SQLite reads our bytes during the step, no copy) — in the caller's transaction.

use super::table::NewRow;
use libsqlite3_sys as ffi;
use std::borrow::Cow;
use std::ffi::{CStr, CString, c_int};
use std::marker::PhantomData;
use std::ptr::NonNull;

/// Values per row.
const COLUMNS: c_int = 14;
/// Rows per statement: one step inserts this many (a step's own work, a statement
/// started and ended, is then shared by as many rows).
const ROWS_PER_STEP: usize = 32;

/// The insert of `n` rows, each `COLUMNS` unnumbered placeholders (bound by index).
fn insert_sql(n: usize) -> CString {
    let mut sql = String::from(
        "INSERT INTO run_events (run_id, seq, ts_ns, kind, symbol, order_id, side, qty, \
         price, action, status, rule, reason, payload) VALUES ",
    );
    for i in 0..n {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str("(?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    }
    // The text has no NUL byte: it is made of the literals above.
    CString::new(sql).unwrap_or_default()
}

/// An error SQLite returned to a direct call, as sqlx reports database errors (so
/// unique violations and the like are recognized the same way).
#[derive(Debug, thiserror::Error)]
#[error("{message} (code {code})")]
pub(super) struct SqliteCallError {
    /// SQLite's extended result code.
    code: c_int,
    message: String,
}

impl sqlx::error::DatabaseError for SqliteCallError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Owned(self.code.to_string()))
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        use sqlx::error::ErrorKind;
        match self.code {
            ffi::SQLITE_CONSTRAINT_PRIMARYKEY | ffi::SQLITE_CONSTRAINT_UNIQUE => {
                ErrorKind::UniqueViolation
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ErrorKind::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => ErrorKind::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

/// A prepared statement on a lent handle, finalized when dropped. Texts are bound
/// without a copy, so they must live as long as the statement (`'t`).
struct Statement<'t> {
    db: NonNull<ffi::sqlite3>,
    raw: NonNull<ffi::sqlite3_stmt>,
    bound: PhantomData<&'t str>,
}

/// The connection's last error as a sqlx error.
fn last_error(db: NonNull<ffi::sqlite3>) -> sqlx::Error {
    // SAFETY: `db` is a live handle lent to this thread; `sqlite3_errmsg` returns a
    // NUL-terminated string owned by SQLite, copied before any other call.
    let (code, message) = unsafe {
        let code = ffi::sqlite3_extended_errcode(db.as_ptr());
        let text = ffi::sqlite3_errmsg(db.as_ptr());
        let message = if text.is_null() {
            String::from("unknown SQLite error")
        } else {
            CStr::from_ptr(text).to_string_lossy().into_owned()
        };
        (code, message)
    };
    sqlx::Error::Database(Box::new(SqliteCallError { code, message }))
}

impl<'t> Statement<'t> {
    /// Prepares `sql` on `db`.
    ///
    /// # Safety
    /// `db` must be a live connection handle that no other thread uses until the
    /// statement is dropped.
    unsafe fn prepare(db: NonNull<ffi::sqlite3>, sql: &CStr) -> Result<Self, sqlx::Error> {
        let mut raw = std::ptr::null_mut();
        // SAFETY: per this function's contract; `sql` is NUL-terminated (-1 length).
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                db.as_ptr(),
                sql.as_ptr(),
                -1,
                &mut raw,
                std::ptr::null_mut(),
            )
        };
        match NonNull::new(raw) {
            Some(raw) if rc == ffi::SQLITE_OK => Ok(Statement {
                db,
                raw,
                bound: PhantomData,
            }),
            _ => Err(last_error(db)),
        }
    }

    fn check(&self, rc: c_int) -> Result<(), sqlx::Error> {
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(last_error(self.db))
        }
    }

    fn bind_i64(&mut self, i: c_int, v: i64) -> Result<(), sqlx::Error> {
        // SAFETY: a live statement (see `prepare`); `i` is one of its parameters.
        let rc = unsafe { ffi::sqlite3_bind_int64(self.raw.as_ptr(), i, v) };
        self.check(rc)
    }

    fn bind_opt_i64(&mut self, i: c_int, v: Option<i64>) -> Result<(), sqlx::Error> {
        match v {
            Some(v) => self.bind_i64(i, v),
            // SAFETY: as in `bind_i64`.
            None => self.check(unsafe { ffi::sqlite3_bind_null(self.raw.as_ptr(), i) }),
        }
    }

    /// Binds `text` without a copy (it lives as long as the statement).
    fn bind_text(&mut self, i: c_int, text: Option<&'t str>) -> Result<(), sqlx::Error> {
        let Some(text) = text else {
            // SAFETY: as in `bind_i64`.
            return self.check(unsafe { ffi::sqlite3_bind_null(self.raw.as_ptr(), i) });
        };
        let len = c_int::try_from(text.len()).map_err(|_| {
            sqlx::Error::Encode(format!("a text of {} bytes is too long", text.len()).into())
        })?;
        // SAFETY: as in `bind_i64`; the bytes outlive the statement (`'t`), so they
        // are valid whenever a step reads them (SQLITE_STATIC).
        let rc = unsafe {
            ffi::sqlite3_bind_text(
                self.raw.as_ptr(),
                i,
                text.as_ptr().cast(),
                len,
                ffi::SQLITE_STATIC(),
            )
        };
        self.check(rc)
    }

    /// Runs the statement (an insert: no rows) and resets it for the next values.
    fn step(&mut self) -> Result<(), sqlx::Error> {
        // SAFETY: a live statement with every parameter bound.
        let rc = unsafe { ffi::sqlite3_step(self.raw.as_ptr()) };
        let result = if rc == ffi::SQLITE_DONE {
            Ok(())
        } else {
            Err(last_error(self.db))
        };
        // SAFETY: as above; reset keeps the bindings, which the next row replaces.
        unsafe { ffi::sqlite3_reset(self.raw.as_ptr()) };
        result
    }
}

impl Drop for Statement<'_> {
    fn drop(&mut self) {
        // SAFETY: the statement is live and finalized once, here.
        unsafe { ffi::sqlite3_finalize(self.raw.as_ptr()) };
    }
}

/// Inserts `rows` of run `run` through the connection's handle, in its current
/// transaction.
pub(super) async fn insert_rows(
    conn: &mut sqlx::SqliteConnection,
    run: i64,
    rows: &[NewRow<'_>],
) -> Result<(), sqlx::Error> {
    let mut lent = conn.lock_handle().await?;
    let db = lent.as_raw_handle();
    let (full, rest) = rows.split_at(rows.len() - rows.len() % ROWS_PER_STEP);
    // SAFETY: sqlx's worker thread makes no call on `db` while `lent` lives, and
    // the statements are dropped (finalized) before `lent` at the end of this scope.
    if !full.is_empty() {
        let mut stmt = unsafe { Statement::prepare(db, &insert_sql(ROWS_PER_STEP))? };
        for part in full.chunks(ROWS_PER_STEP) {
            bind_rows(&mut stmt, run, part)?;
            stmt.step()?;
        }
    }
    if !rest.is_empty() {
        // SAFETY: as above.
        let mut stmt = unsafe { Statement::prepare(db, &insert_sql(1))? };
        for r in rest {
            bind_rows(&mut stmt, run, std::slice::from_ref(r))?;
            stmt.step()?;
        }
    }
    drop(lent);
    Ok(())
}

/// Binds `rows` to the statement's placeholders, row after row.
fn bind_rows<'t>(
    stmt: &mut Statement<'t>,
    run: i64,
    rows: &'t [NewRow<'_>],
) -> Result<(), sqlx::Error> {
    let mut at: c_int = 0;
    for r in rows {
        let i = |k: c_int| at + k;
        stmt.bind_i64(i(1), run)?;
        stmt.bind_i64(i(2), r.seq)?;
        stmt.bind_i64(i(3), r.ts_ns)?;
        stmt.bind_text(i(4), Some(r.kind))?;
        stmt.bind_text(i(5), r.symbol)?;
        stmt.bind_opt_i64(i(6), r.order_id)?;
        stmt.bind_text(i(7), r.side)?;
        stmt.bind_text(i(8), r.qty.as_deref())?;
        stmt.bind_text(i(9), r.price.as_deref())?;
        stmt.bind_text(i(10), r.action)?;
        stmt.bind_text(i(11), r.status)?;
        stmt.bind_text(i(12), r.rule)?;
        stmt.bind_text(i(13), r.reason)?;
        stmt.bind_text(i(14), Some(&r.payload))?;
        at += COLUMNS;
    }
    Ok(())
}
