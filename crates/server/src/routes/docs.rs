//! The API's description: the OpenAPI document, and a page that shows it to people.
//! The page is plain HTML with its script served as a file of its own (the server's
//! CSP refuses inline scripts), both compiled into the binary: it needs no network, no
//! CDN and no build step.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The page's HTML.
const PAGE: &str = include_str!("../../assets/docs/index.html");
/// The page's script.
const SCRIPT: &str = include_str!("../../assets/docs/app.js");

/// A body with its content type.
fn typed(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// `GET /api/v1/openapi.json`: this API's OpenAPI 3.1 document (public).
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "docs",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object))
)]
pub async fn openapi_json() -> Response {
    typed("application/json", crate::openapi::document_json())
}

/// `GET /api/docs`: the API's operations by tag, for people (public).
#[utoipa::path(
    get,
    path = "/api/docs",
    tag = "docs",
    security(()),
    responses((status = 200, description = "An HTML page that reads /api/v1/openapi.json", content_type = "text/html", body = String))
)]
pub async fn page() -> Response {
    typed("text/html; charset=utf-8", PAGE)
}

/// `GET /api/docs/app.js`: the script of the docs page (public).
#[utoipa::path(
    get,
    path = "/api/docs/app.js",
    tag = "docs",
    security(()),
    responses((status = 200, description = "JavaScript", content_type = "text/javascript", body = String))
)]
pub async fn script() -> Response {
    typed("text/javascript; charset=utf-8", SCRIPT)
}
