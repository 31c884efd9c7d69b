//! What a user chooses from: the strategies with their parameters, defaults and
//! warm-up (`tradelab strategies`), and the rule templates (`tradelab rules
//! templates`, one with `--show NAME`). Both are the same for every signed-in user.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::openapi as doc;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use tradelab_engine::risk::{template, templates};
use tradelab_rules_file as rules_file;

/// A parameter of a strategy.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ParamView {
    pub name: String,
    /// The value used when none is given (empty when there is none).
    pub default: String,
    pub help: String,
}

/// A strategy a model can use.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StrategyInfoView {
    pub name: String,
    pub summary: String,
    pub params: Vec<ParamView>,
    /// Bars of a symbol the strategy must see before it can first order in it, with
    /// its default parameters (`null` when it does not build without settings).
    pub warm_up_bars: Option<usize>,
}

/// The strategies the server runs.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Strategies {
    pub strategies: Vec<StrategyInfoView>,
}

/// `GET /api/v1/strategies`: the strategies the server runs, in registration order.
#[utoipa::path(
    get,
    path = "/api/v1/strategies",
    tag = "catalog",
    responses(
        (status = 200, description = "The strategies with their parameters", body = Strategies),
        (status = 401, response = doc::Unauthorized),
    )
)]
pub async fn strategies(State(state): State<AppState>, _caller: Caller) -> Json<Strategies> {
    let deciders = state.runner.deciders();
    let strategies = deciders
        .catalog()
        .map(|s| StrategyInfoView {
            name: s.name.to_string(),
            summary: s.summary.to_string(),
            params: s
                .params
                .iter()
                .map(|p| ParamView {
                    name: p.name.to_string(),
                    default: p.default.to_string(),
                    help: p.help.to_string(),
                })
                .collect(),
            warm_up_bars: deciders
                .build(&s.name, &[], false)
                .ok()
                .map(|d| d.min_bars()),
        })
        .collect();
    Json(Strategies { strategies })
}

/// A rule template: its rules as a rules file has them, each with its summary and its
/// scope in words.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TemplateView {
    pub name: String,
    pub summary: String,
    pub instructions: String,
    /// Each rule as a rules file has it (`name`, `kind`, its parameters, …) with its
    /// `summary` and `scope`.
    #[schema(value_type = Vec<Object>)]
    pub rules: Vec<Value>,
}

/// The built-in rule templates.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Templates {
    pub templates: Vec<TemplateView>,
}

/// `GET /api/v1/templates`: the built-in rule templates.
#[utoipa::path(
    get,
    path = "/api/v1/templates",
    tag = "catalog",
    responses(
        (status = 200, description = "The templates with their rules", body = Templates),
        (status = 401, response = doc::Unauthorized),
    )
)]
pub async fn list_templates(_caller: Caller) -> ApiResult<Json<Templates>> {
    let templates = templates()
        .iter()
        .map(|t| {
            let set = t.rules();
            let rules = set.rules.iter().map(rules_file::describe_rule).collect();
            TemplateView {
                name: t.name.to_string(),
                summary: t.summary.to_string(),
                instructions: set.instructions,
                rules,
            }
        })
        .collect();
    Ok(Json(Templates { templates }))
}

/// A rule template in full (`tradelab rules templates --show NAME`): its rules as
/// `POST /rules/check` describes them and its text as a TOML rules file.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TemplateDetail {
    pub name: String,
    pub summary: String,
    pub instructions: String,
    /// Each rule as a rules file has it with its `summary` and `scope`, highest
    /// priority first.
    #[schema(value_type = Vec<Object>)]
    pub rules: Vec<Value>,
    /// The template as a TOML rules file, to copy and change.
    pub toml: String,
}

/// `GET /api/v1/templates/{name}`: one built-in rule template with its rules and its
/// TOML text; an unknown name is 404 listing the known ones.
#[utoipa::path(
    get,
    path = "/api/v1/templates/{name}",
    tag = "catalog",
    params(("name" = String, Path, description = "A template of `GET /templates`")),
    responses(
        (status = 200, description = "The template with its rules and TOML text", body = TemplateDetail),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
    )
)]
pub async fn show_template(
    _caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<TemplateDetail>> {
    let set = template(&name)
        .map_err(|e| ApiError::new(StatusCode::NOT_FOUND, e.to_string()).with_field("name"))?;
    let summary = templates()
        .iter()
        .find(|t| t.name == name)
        .map_or("", |t| t.summary);
    Ok(Json(TemplateDetail {
        summary: summary.to_string(),
        instructions: set.instructions.clone(),
        rules: rules_file::describe_rules(&set),
        toml: rules_file::to_toml(&set),
        name,
    }))
}
