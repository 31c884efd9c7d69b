//! The web UI at `/`: its built files (embedded by `tradelab-web`), and its entry page
//! for every other address a browser opens (`/runs/12`, `/compare`), where the UI's
//! own router takes over. Paths under `/api/` and `/metrics` never fall through to it:
//! a missing API route stays a problem+json 404. When the UI could not be built, `/`
//! says why and what to install; the API works either way.

use crate::error::ApiError;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};

/// What a request outside the API's routes gets.
pub async fn fallback(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    let is_api = path == "/api" || path.starts_with("/api/") || path == "/metrics";
    if is_api || (method != Method::GET && method != Method::HEAD) {
        return ApiError::new(StatusCode::NOT_FOUND, format!("no route {path}")).into_response();
    }
    let wanted = path.trim_start_matches('/');
    if let Some(file) = tradelab_web::asset(wanted).filter(|a| a.path != "index.html") {
        return file_response(file);
    }
    if wanted.starts_with("assets/") {
        // A file of another build (an old tab after an upgrade): not the entry page.
        return ApiError::new(StatusCode::NOT_FOUND, format!("no file {path}")).into_response();
    }
    match tradelab_web::index() {
        Some(index) => file_response(index),
        None => {
            missing_ui(tradelab_web::build_problem().unwrap_or("the web UI is not in this build"))
        }
    }
}

fn file_response(file: &'static tradelab_web::Asset) -> Response {
    let cache = if file.is_immutable() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = file.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.content_type),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// The page shown when this binary was built without its UI: why, and what to do.
fn missing_ui(why: &str) -> Response {
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>tradelab: web UI not built</title></head>\
         <body style=\"font-family:system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;line-height:1.5\">\
         <h1>tradelab is running, but its web UI was not built</h1><pre style=\"white-space:pre-wrap\">{}</pre>\
         <p>The REST API works: see <a href=\"/api/docs\">the API documentation</a>.</p></body></html>",
        escape(why)
    );
    (StatusCode::SERVICE_UNAVAILABLE, Html(page)).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_build_without_the_ui_says_why_and_what_to_install() {
        let response = missing_ui(
            "npm was not found. Install Node.js 20 or newer with npm <https://nodejs.org>",
        );
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .expect("body");
        let html = String::from_utf8(body.to_vec()).expect("UTF-8");
        assert!(
            html.contains("Install Node.js 20 or newer with npm &lt;https://nodejs.org&gt;"),
            "{html}"
        );
        assert!(html.contains("href=\"/api/docs\""), "{html}");
    }

    #[tokio::test]
    async fn api_paths_never_fall_through_to_the_ui() {
        for path in [
            "/api/v1/nope",
            "/api",
            "/api/v1/runs/1/nope",
            "/assets/old-build.js",
        ] {
            let response = fallback(Method::GET, path.parse().expect("uri")).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        }
        let post = fallback(Method::POST, "/runs/1".parse().expect("uri")).await;
        assert_eq!(post.status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn a_page_address_gets_the_entry_page() {
        let response = fallback(Method::GET, "/runs/12".parse().expect("uri")).await;
        match tradelab_web::index() {
            Some(_) => {
                assert_eq!(response.status(), StatusCode::OK);
                assert_eq!(
                    response.headers()[header::CACHE_CONTROL],
                    "no-cache",
                    "the entry page is revalidated"
                );
            }
            None => assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE),
        }
    }
}
