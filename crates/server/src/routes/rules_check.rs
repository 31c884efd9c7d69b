//! `tradelab rules check FILE` over HTTP: a rules file's text checked as the CLI
//! checks it, answered with the JSON of `rules check --output json` (without the
//! file's path). Nothing is stored.

use super::body::Body;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::openapi as doc;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;
use tradelab_rules_file::{self as rules_file, RulesFileError};

/// The label of the checked text in error messages (`text: TOML parse error at line
/// 3, column 7 …`), and the request field they are about.
const TEXT: &str = "text";

/// The format of a rules file's text.
#[derive(Deserialize, Clone, Copy, Debug, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RulesFormat {
    Toml,
    Json,
}

/// What `POST /rules/check` takes: a rules file's text and its format.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesCheckBody {
    pub format: RulesFormat,
    /// The whole rules file, e.g. `[[rule]]\nname = "stop"\nkind = "stop_loss_pct"\npct = 5`.
    pub text: String,
}

/// A valid rules file as `tradelab rules check --output json` prints it (without
/// `file`).
#[derive(utoipa::ToSchema)]
#[schema(as = RulesCheck)]
pub struct RulesCheckSchema {
    /// Always true: an invalid file is a 422 naming the line or the rule and field.
    pub valid: bool,
    /// Each rule as a rules file has it (`name`, `kind`, its parameters with exact
    /// amounts as strings, …) with its `summary` and `scope`, highest priority first.
    #[schema(value_type = Vec<Object>)]
    pub rules: Vec<Value>,
    /// The file's instructions to an LLM model (empty when none).
    pub instructions: String,
}

/// `POST /api/v1/rules/check`: checks a rules file's text (TOML or JSON) as `tradelab
/// rules check` does; a syntax error or an invalid rule is a 422 on `text` with the
/// rules file's message (the line and column, or every rule and field that is
/// wrong).
#[utoipa::path(
    post,
    path = "/api/v1/rules/check",
    tag = "rules",
    request_body = RulesCheckBody,
    responses(
        (status = 200, description = "The valid rules, highest priority first", body = RulesCheckSchema),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn check(_caller: Caller, Body(req): Body<RulesCheckBody>) -> ApiResult<Json<Value>> {
    let parsed = match req.format {
        RulesFormat::Toml => rules_file::from_toml_str(&req.text, TEXT),
        RulesFormat::Json => rules_file::from_json_str(&req.text, TEXT),
    };
    match parsed {
        Ok(set) => Ok(Json(rules_file::describe(&set))),
        Err(e @ (RulesFileError::Parse { .. } | RulesFileError::Rules(_))) => {
            Err(ApiError::invalid(TEXT, e.to_string()))
        }
        Err(e) => Err(ApiError::internal(e)),
    }
}
