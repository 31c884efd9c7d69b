//! A JSON request body read strictly: malformed JSON, a wrong type or an unknown field
//! (request types deny them) is a 4xx problem naming what was wrong and where.

use crate::error::ApiError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

/// A JSON body of type `T`.
pub struct Body<T>(pub T);

impl<S, T> FromRequest<S> for Body<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Body(v)),
            Err(rejection) => Err(match rejection {
                JsonRejection::JsonDataError(e) => ApiError::invalid(
                    "body",
                    format!("the JSON body does not fit: {}", e.body_text()),
                ),
                JsonRejection::JsonSyntaxError(e) => {
                    ApiError::bad_request(format!("the body is not valid JSON: {}", e.body_text()))
                }
                JsonRejection::MissingJsonContentType(_) => ApiError::new(
                    axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "send the body as JSON with `Content-Type: application/json`",
                ),
                JsonRejection::BytesRejection(e) => ApiError::new(e.status(), e.body_text()),
                other => ApiError::new(other.status(), other.body_text()),
            }),
        }
    }
}
