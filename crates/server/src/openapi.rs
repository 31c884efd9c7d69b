//! The OpenAPI 3.1 document of the API, served at `/api/v1/openapi.json`.
//!
//! Its operations come from the handlers' `#[utoipa::path]` annotations and its schemas
//! from the request and answer types (`ToSchema`, `IntoParams`). The router is built
//! from the same handler list ([`crate::routes::api`]), so a route cannot be served
//! without being documented, nor documented without being served. This module holds
//! what is common to every operation: the document's info and tags, the ways to sign
//! in, and the error answers (`application/problem+json`).

use crate::error::Problem;
use std::sync::OnceLock;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::{Modify, OpenApi, ToResponse};

/// The security scheme of a bearer session token (`POST /auth/login` with `token`).
pub const BEARER: &str = "bearer_token";
/// The security scheme of an API key (sent as a bearer token too).
pub const API_KEY: &str = "api_key";
/// The security scheme of a browser session cookie (with the CSRF header on changes).
pub const COOKIE: &str = "session_cookie";

/// The document's frame: info, tags, security schemes, reusable error answers. The
/// operations are added by the router ([`crate::routes::api`]).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "tradelab API",
        description = "The HTTP service of tradelab: accounts and API keys, models, \
            structured rules, runs and their audit trail, market data, the leaderboard, \
            admin, health. JSON in and out; money, prices and quantities as decimal \
            strings; times as RFC 3339 UTC; lists paged with `after` and `limit`; errors \
            as `application/problem+json` naming the bad field; unknown JSON fields \
            refused. Every id of another user's is answered 404, as an id that does not \
            exist.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0")
    ),
    tags(
        (name = "health", description = "Liveness, readiness and metrics."),
        (name = "auth", description = "Register, log in and out, who am I."),
        (name = "keys", description = "API keys for programs: made (shown once), listed, revoked."),
        (name = "models", description = "Models: a strategy with its parameters, cash, costs and symbols."),
        (name = "rules", description = "A model's structured rules and rule templates."),
        (name = "catalog", description = "What a model is made from: strategies and rule templates."),
        (name = "runs", description = "Runs: start, list, detail, stop, replay, compare, live stream."),
        (name = "run trail", description = "A run's audit trail: events, decisions, orders, fills, trades, equity."),
        (name = "data", description = "Market data: series, bars, CSV uploads."),
        (name = "news", description = "News for the LLM agent's point-in-time search: uploads and listings."),
        (name = "leaderboard", description = "Finished runs ranked by a metric."),
        (name = "calendar", description = "Exchange calendars: trading days and their sessions."),
        (name = "admin", description = "Accounts, settings, stats, emergency stop, the admin log (admins only)."),
        (name = "docs", description = "This document and its page."),
    ),
    components(
        schemas(Problem),
        responses(
            BadRequest,
            BadInput,
            Unauthorized,
            Forbidden,
            NotFound,
            Conflict,
            PayloadTooLarge,
            UnsupportedMediaType,
            Unprocessable,
            TooManyRequests,
            Unavailable
        )
    ),
    modifiers(&SignIn),
    security(("bearer_token" = []), ("api_key" = []), ("session_cookie" = []))
)]
pub struct ApiDoc;

/// Adds the three ways to sign in as security schemes.
struct SignIn;

impl Modify for SignIn {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("session token")
                    .description(Some(
                        "A session token from `POST /api/v1/auth/login` with `\"token\": true`.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            API_KEY,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("API key")
                    .description(Some(
                        "An API key from `POST /api/v1/keys`, sent as `Authorization: Bearer <key>`.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            COOKIE,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE.to_string(),
                format!(
                    "The browser session of `POST /api/v1/auth/login`. A request that changes \
                     something (not GET) also sends the `{}` cookie's value in the `{}` header.",
                    crate::auth::CSRF_COOKIE,
                    crate::auth::CSRF_HEADER
                ),
            ))),
        );
    }
}

/// The request is malformed (JSON that does not parse, an id that is not a
/// positive whole number, a form that does not read).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct BadRequest(pub Problem<'static>);

/// The request is malformed: an id that is not a positive whole number, a query
/// string that does not fit its parameters (an unknown one, a number that is not), a
/// form field the handler does not know — all `application/problem+json`; only a body
/// that is not a multipart form at all is answered by the framework as plain text.
#[derive(ToResponse)]
pub enum BadInput {
    /// What the handler refused.
    Problem(#[content("application/problem+json")] Problem<'static>),
    /// What the framework refused (a query string, a form).
    Text(#[content("text/plain")] String),
}

/// No valid credentials (none, unknown, expired or revoked).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Unauthorized(pub Problem<'static>);

/// Signed in, not allowed (an admin route, a missing CSRF header, registration
/// closed).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Forbidden(pub Problem<'static>);

/// No such thing, or one of another user's (the same answer).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct NotFound(pub Problem<'static>);

/// The request conflicts with what is stored (a name in use, a run that ended).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Conflict(pub Problem<'static>);

/// The body is larger than the server takes.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct PayloadTooLarge(pub Problem<'static>);

/// The body is not sent as `application/json`.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct UnsupportedMediaType(pub Problem<'static>);

/// Well-formed, but a value is not acceptable; `field` names it.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Unprocessable(pub Problem<'static>);

/// Too many requests (failed logins, a full run queue); see `Retry-After`.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))
)]
pub struct TooManyRequests(pub Problem<'static>);

/// The service cannot take this now (the database does not answer, an emergency
/// stop, a shutdown); see `Retry-After`.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))
)]
pub struct Unavailable(pub Problem<'static>);

/// A map of text, numbers or booleans (`null`: none given): strategy and LLM request
/// parameters.
pub fn scalar_map() -> Object {
    let scalar = ObjectBuilder::new().schema_type(SchemaType::from_iter([
        Type::String,
        Type::Number,
        Type::Boolean,
    ]));
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
        .additional_properties(Some(scalar))
        .build()
}

/// The whole document: [`ApiDoc`] with every operation of the router. Each summary
/// loses the `` `METHOD /path`: `` its doc comment starts with, each operation id is
/// prefixed with its tag (handlers of different areas share names such as `list`),
/// and a public operation's `[{}]` (anyone) becomes `[]` (no security).
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = crate::routes::api(usize::MAX).into_openapi();
    for item in doc.paths.paths.values_mut() {
        for op in operations(item) {
            if let Some(summary) = op.summary.take() {
                op.summary = Some(without_route(&summary));
            }
            let tag = op.tags.as_ref().and_then(|t| t.first()).cloned();
            if let (Some(tag), Some(id)) = (tag, op.operation_id.take()) {
                op.operation_id = Some(format!("{}_{id}", tag.replace(' ', "_")));
            }
            if let Some(security) = &mut op.security
                && security
                    .iter()
                    .all(|s| *s == SecurityRequirement::default())
            {
                security.clear();
            }
        }
    }
    doc
}

/// The document as JSON text, made once.
pub fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        document().to_json().unwrap_or_else(|e| {
            tracing::error!(error = %e, "the OpenAPI document does not serialize");
            "{}".to_string()
        })
    })
}

/// The operations of a path item.
fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// `` `GET /api/v1/runs`: the caller's runs`` → `The caller's runs`, on one line.
fn without_route(summary: &str) -> String {
    let line = summary.split_whitespace().collect::<Vec<_>>().join(" ");
    let rest = line
        .strip_prefix('`')
        .and_then(|s| s.split_once("`: ").map(|(_, rest)| rest))
        .unwrap_or(&line);
    let mut chars = rest.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => line.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::without_route;

    #[test]
    fn a_summary_loses_its_route_prefix() {
        assert_eq!(
            without_route("`GET /api/v1/runs`: the caller's runs."),
            "The caller's runs."
        );
        assert_eq!(
            without_route(" `POST /api/v1/keys`: a new\n key (201)"),
            "A new key (201)"
        );
        assert_eq!(without_route("Plain words"), "Plain words");
    }
}
