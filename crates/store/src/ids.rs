//! Row identifiers: one newtype per table so ids cannot be mixed up.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl From<i64> for $name {
            fn from(v: i64) -> Self {
                $name(v)
            }
        }
    };
}

id_newtype!(
    /// Id of a user account.
    UserId
);
id_newtype!(
    /// Id of a model (a trading strategy definition).
    ModelId
);
id_newtype!(
    /// Id of a structured rule of a model.
    RuleId
);
id_newtype!(
    /// Id of a run (unique across models; the per-model number is [`crate::Run::number`]).
    RunId
);
id_newtype!(
    /// Id of a stored news item.
    NewsId
);
id_newtype!(
    /// Id of a login session (a browser cookie or a bearer token).
    SessionId
);
id_newtype!(
    /// Id of an API key.
    ApiKeyId
);
id_newtype!(
    /// Id of an entry of the admin audit log.
    AdminActionId
);
