//! A query string read strictly: an unknown parameter or a value of the wrong type is
//! a `400` problem naming what was wrong, as a bad JSON body is.

use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// The query parameters of type `T` (request types deny unknown fields).
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(rejection) => Err(ApiError::bad_request(format!(
                "the query string does not fit: {}",
                rejection.body_text()
            ))
            .with_field("query")),
        }
    }
}
