//! Import errors. Every message starts with the file name, and with the line
//! number when a row is at fault, so users can jump straight to the problem:
//! `prices.csv:5: high 10.2 is below close 10.5`.

/// Why a file could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be opened or read.
    #[error("{file}: cannot read the file: {source}")]
    Io {
        /// File name as given.
        file: String,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// The layout (header, columns, symbol) could not be worked out; the message
    /// names the option to pass (e.g. `--date-column NAME`).
    #[error("{file}: {message}")]
    Layout {
        /// File name as given.
        file: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// One row is invalid (bad number, impossible bar, unknown date format …).
    #[error("{file}:{line}: {message}")]
    Row {
        /// File name as given.
        file: String,
        /// 1-based line number in the file (the header is line 1).
        line: usize,
        /// What is wrong with the row.
        message: String,
    },
}

impl ImportError {
    /// The 1-based line at fault, when one row is at fault.
    pub fn line(&self) -> Option<usize> {
        match self {
            ImportError::Row { line, .. } => Some(*line),
            _ => None,
        }
    }

    pub(crate) fn layout(file: &str, message: impl Into<String>) -> Self {
        ImportError::Layout {
            file: file.to_string(),
            message: message.into(),
        }
    }
}
