//! Models over HTTP: create, list, show, change and delete the caller's models. The
//! settings and their checks are the CLI's (`tradelab models create|edit`): both apply
//! the runner's [`ModelChanges`]; refusals name the JSON field.

use super::Paging;
use super::body::Body;
use super::model_views::{ModelView, model_view};
use super::parse_id;
use super::query::Query;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::openapi as doc;
use crate::state::AppState;
use crate::views::PageView;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use tradelab_core::Symbol;
use tradelab_engine::FillModel;
use tradelab_engine::risk::template;
use tradelab_runner::{
    LabeledParam, ModelChanges, ModelSettingsError, apply_model_changes, new_model_spec,
    rules_to_specs,
};
use tradelab_store::{ModelId, ModelSpec, StoreError};

/// The settings of a model as sent to `POST /models` (name and strategy required) and
/// `PATCH /models/{id}` (each field optional; absent fields keep their value).
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelBody {
    pub name: Option<String>,
    pub description: Option<String>,
    /// A strategy of `GET /strategies`; a new one starts from its default parameters.
    pub strategy: Option<String>,
    /// Strategy parameters (text, numbers or booleans), merged into the current ones.
    #[schema(schema_with = crate::openapi::scalar_map)]
    pub params: Option<BTreeMap<String, Value>>,
    /// Decimal string, e.g. `"10000"`.
    pub initial_cash: Option<String>,
    pub symbols: Option<Vec<String>>,
    /// Fraction of notional per fill, below 1 (decimal string).
    pub commission_rate: Option<String>,
    pub commission_per_share: Option<String>,
    pub commission_minimum: Option<String>,
    pub slippage_bps: Option<String>,
    /// Milliseconds an order takes from the decision to the paper broker (0: none);
    /// it then fills at the first price after its arrival.
    pub latency_ms: Option<u64>,
    /// `next_open` or `close`.
    pub fill_model: Option<String>,
    pub allow_short: Option<bool>,
    pub close_at_end: Option<bool>,
    pub instructions: Option<String>,
    /// Settings of the LLM agent (strategy `llm` only).
    pub llm: Option<LlmSettings>,
    /// A rule template to start with (creation only; see `GET /templates`).
    pub template: Option<String>,
}

/// The LLM agent's settings; each sets the decider parameter of its name (as the CLI's
/// `--llm-*` flags do). The API key is never sent: only the variable holding it.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LlmSettings {
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub api_key_env: Option<String>,
    pub timeout: Option<f64>,
    pub retries: Option<u32>,
    pub concurrency: Option<u32>,
    pub every: Option<u32>,
    pub max_steps: Option<u32>,
    /// `loop`, `decision` or `auto`.
    pub style: Option<String>,
    pub max_cost: Option<f64>,
    pub max_tokens: Option<u64>,
    /// `YYYY-MM-DD`.
    pub knowledge_cutoff: Option<String>,
    pub anonymize: Option<bool>,
    /// `live`, `record` or `replay`.
    pub mode: Option<String>,
    /// Extra request fields (`temperature`, `max_tokens`, …): text, numbers or
    /// booleans.
    #[schema(schema_with = crate::openapi::scalar_map)]
    pub params: Option<BTreeMap<String, Value>>,
}

/// A JSON scalar as the text a decider parameter holds; else 422 naming `field`.
fn param_text(field: &str, v: &Value) -> ApiResult<String> {
    match v {
        Value::String(s) => Ok(s.trim().to_string()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(ApiError::invalid(
            field,
            format!("{field} must be text, a number or a boolean"),
        )),
    }
}

/// A decimal string; else 422 naming `field`.
fn decimal(field: &str, text: &str) -> ApiResult<Decimal> {
    let t = text.trim();
    let parsed = if t.contains(['e', 'E']) {
        Decimal::from_scientific(t)
    } else {
        t.parse::<Decimal>()
    };
    parsed.map_err(|_| {
        ApiError::invalid(
            field,
            format!("{field} {text:?} is not a decimal number (e.g. \"10000\" or \"0.001\")"),
        )
    })
}

impl LlmSettings {
    /// Each setting given as a labelled decider parameter, checked as the CLI checks
    /// its flags (positive limits, counts of at least 1, known styles and modes).
    fn params(&self) -> ApiResult<Vec<LabeledParam>> {
        let mut out = Vec::new();
        let mut put = |key: &str, value: Option<String>| {
            if let Some(value) = value {
                out.push(LabeledParam {
                    label: format!("llm.{key}"),
                    key: key.to_string(),
                    value,
                });
            }
        };
        for (key, v) in [("timeout", self.timeout), ("max_cost", self.max_cost)] {
            if let Some(v) = v
                && !(v.is_finite() && v > 0.0)
            {
                return Err(ApiError::invalid(
                    format!("llm.{key}"),
                    format!("llm.{key} {v} must be a positive number"),
                ));
            }
        }
        let counts = [
            ("concurrency", self.concurrency),
            ("every", self.every),
            ("max_steps", self.max_steps),
        ];
        for (key, v) in counts {
            if v == Some(0) {
                return Err(ApiError::invalid(
                    format!("llm.{key}"),
                    format!("llm.{key} 0: give a whole number of at least 1"),
                ));
            }
        }
        if self.max_tokens == Some(0) {
            return Err(ApiError::invalid(
                "llm.max_tokens",
                "llm.max_tokens 0: give a whole number of at least 1",
            ));
        }
        let one_of = |key: &str, v: &Option<String>, allowed: &[&str]| -> ApiResult<()> {
            match v {
                Some(s) if !allowed.contains(&s.as_str()) => Err(ApiError::invalid(
                    format!("llm.{key}"),
                    format!("llm.{key} {s:?} is not one of {}", allowed.join(", ")),
                )),
                _ => Ok(()),
            }
        };
        one_of("style", &self.style, &["loop", "decision", "auto"])?;
        one_of("mode", &self.mode, &["live", "record", "replay"])?;
        if let Some(d) = &self.knowledge_cutoff
            && d.parse::<jiff::civil::Date>().is_err()
        {
            return Err(ApiError::invalid(
                "llm.knowledge_cutoff",
                format!("llm.knowledge_cutoff {d:?} is not a date YYYY-MM-DD"),
            ));
        }
        let text = |v: Option<u32>| v.map(|n| n.to_string());
        put("base_url", self.base_url.clone());
        put("model", self.model.clone());
        put("api_key_env", self.api_key_env.clone());
        put("timeout", self.timeout.map(|s| s.to_string()));
        put("retries", text(self.retries));
        put("concurrency", text(self.concurrency));
        put("every", text(self.every));
        put("max_steps", text(self.max_steps));
        put("style", self.style.clone());
        put("max_cost", self.max_cost.map(|c| c.to_string()));
        put("max_tokens", self.max_tokens.map(|t| t.to_string()));
        put("knowledge_cutoff", self.knowledge_cutoff.clone());
        put("anonymize", self.anonymize.map(|b| b.to_string()));
        put("mode", self.mode.clone());
        for (k, v) in self.params.iter().flatten() {
            let field = format!("llm.params.{k}");
            let value = param_text(&field, v)?;
            out.push(LabeledParam {
                label: field,
                key: format!("param.{k}"),
                value,
            });
        }
        Ok(out)
    }
}

impl ModelBody {
    /// The body as the runner's changes; malformed values are refused naming the field.
    fn changes(self) -> ApiResult<ModelChanges> {
        let opt =
            |field: &str, v: &Option<String>| v.as_deref().map(|t| decimal(field, t)).transpose();
        let mut params = Vec::new();
        for (k, v) in self.params.iter().flatten() {
            if k.trim().is_empty() {
                return Err(ApiError::invalid("params", "a parameter name is empty"));
            }
            params.push((k.trim().to_string(), param_text(&format!("params.{k}"), v)?));
        }
        let fill_model = match self.fill_model.as_deref() {
            None => None,
            Some("next_open") => Some(FillModel::NextOpen),
            Some("close") => Some(FillModel::Close),
            Some(other) => {
                return Err(ApiError::invalid(
                    "fill_model",
                    format!("fill_model {other:?} is not one of next_open, close"),
                ));
            }
        };
        let symbols = match &self.symbols {
            None => None,
            Some(list) => Some(
                list.iter()
                    .enumerate()
                    .map(|(i, t)| {
                        Symbol::new(t).map_err(|e| {
                            ApiError::invalid(format!("symbols[{i}]"), format!("{t:?}: {e}"))
                        })
                    })
                    .collect::<ApiResult<Vec<_>>>()?,
            ),
        };
        Ok(ModelChanges {
            strategy: self.strategy.map(|s| s.trim().to_string()),
            params,
            llm: self
                .llm
                .as_ref()
                .map(LlmSettings::params)
                .transpose()?
                .unwrap_or_default(),
            initial_cash: opt("initial_cash", &self.initial_cash)?,
            commission_rate: opt("commission_rate", &self.commission_rate)?,
            commission_per_share: opt("commission_per_share", &self.commission_per_share)?,
            commission_minimum: opt("commission_minimum", &self.commission_minimum)?,
            slippage_bps: opt("slippage_bps", &self.slippage_bps)?,
            latency_ms: self.latency_ms,
            fill_model,
            allow_short: self.allow_short,
            close_at_end: self.close_at_end,
            symbols,
            description: self.description,
            instructions: self.instructions,
        })
    }
}

/// A refused change as a 422 naming the field it came from.
fn settings_error(e: ModelSettingsError) -> ApiError {
    let field = match &e {
        ModelSettingsError::LlmWithOtherStrategy { label, .. }
        | ModelSettingsError::SetTwice { label, .. } => label.clone(),
        ModelSettingsError::CashNotPositive { .. } => "initial_cash".into(),
        ModelSettingsError::CommissionTooHigh { .. } => "commission_rate".into(),
        ModelSettingsError::UnknownStrategy(_) => "strategy".into(),
        ModelSettingsError::Strategy(_) => "params".into(),
        ModelSettingsError::StoredSettings(_) => return ApiError::internal(e),
    };
    ApiError::invalid(field, e.to_string())
}

/// A store error about a model's settings, naming the API's field.
pub(crate) fn model_store_error(e: StoreError) -> ApiError {
    match &e {
        StoreError::InvalidData { what, .. } => {
            let field = match *what {
                "model name" => "name",
                "model symbols" => "symbols",
                "initial cash" => "initial_cash",
                "decider kind" => "strategy",
                other => other,
            };
            ApiError::invalid(field, e.to_string())
        }
        StoreError::Duplicate { .. } => ApiError::conflict(e.to_string()).with_field("name"),
        _ => e.into(),
    }
}

/// The model id of a path, owned by the caller (404 otherwise).
pub(crate) async fn owned_model(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> ApiResult<tradelab_store::Model> {
    let id = ModelId(parse_id("model", id)?);
    Ok(state.store.models().get(caller.id(), id).await?)
}

/// `POST /api/v1/models`: a new model for the caller (201), with a template's rules
/// when `template` names one.
#[utoipa::path(
    post,
    path = "/api/v1/models",
    tag = "models",
    request_body = ModelBody,
    responses(
        (status = 201, description = "The new model", body = ModelView),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 409, response = doc::Conflict),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Body(mut body): Body<ModelBody>,
) -> ApiResult<(StatusCode, Json<ModelView>)> {
    let name = body.name.take().unwrap_or_default();
    if name.trim().is_empty() {
        return Err(ApiError::invalid("name", "a model needs a name"));
    }
    if body.strategy.is_none() {
        return Err(ApiError::invalid(
            "strategy",
            "a model needs a strategy (see GET /api/v1/strategies)",
        ));
    }
    let rules = match body.template.take() {
        Some(t) => Some(template(&t).map_err(|e| ApiError::invalid("template", e.to_string()))?),
        None => None,
    };
    let instructions = rules
        .as_ref()
        .map(|r| r.instructions.as_str())
        .unwrap_or("");
    let mut spec = new_model_spec(&name, instructions);
    let deciders = state.runner.deciders();
    apply_model_changes(&mut spec, body.changes()?, deciders, LLM).map_err(settings_error)?;
    let models = state.store.models();
    let model = models
        .create(caller.id(), &spec)
        .await
        .map_err(model_store_error)?;
    if let Some(rules) = &rules {
        for r in rules_to_specs(rules) {
            state
                .store
                .rules()
                .create(caller.id(), model.id, &r)
                .await?;
        }
    }
    Ok((StatusCode::CREATED, Json(model_view(&model, deciders))))
}

/// The LLM agent's strategy name.
const LLM: &str = tradelab_agent::settings::STRATEGY;

/// `GET /api/v1/models`: a page of the caller's models, by name.
#[utoipa::path(
    get,
    path = "/api/v1/models",
    tag = "models",
    params(Paging),
    responses(
        (status = 200, description = "A page of the caller's models", body = PageView<ModelView>),
        (status = 400, response = doc::BadInput),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(paging): Query<Paging>,
) -> ApiResult<Json<PageView<ModelView>>> {
    let page = state
        .store
        .models()
        .list_by_owner(caller.id(), paging.request(ModelId)?)
        .await?;
    let deciders = state.runner.deciders();
    Ok(Json(PageView {
        items: page.items.iter().map(|m| model_view(m, deciders)).collect(),
        next_after: page.next_after.map(|k| k.0),
    }))
}

/// `GET /api/v1/models/{id}`: one of the caller's models.
#[utoipa::path(
    get,
    path = "/api/v1/models/{id}",
    tag = "models",
    params(("id" = i64, Path, description = "The model's id", minimum = 1)),
    responses(
        (status = 200, description = "The model", body = ModelView),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ModelView>> {
    let model = owned_model(&state, &caller, &id).await?;
    Ok(Json(model_view(&model, state.runner.deciders())))
}

/// `PATCH /api/v1/models/{id}`: changes the given settings (what `models edit`
/// changes; runs keep the snapshot they ran with).
#[utoipa::path(
    patch,
    path = "/api/v1/models/{id}",
    tag = "models",
    params(("id" = i64, Path, description = "The model's id", minimum = 1)),
    request_body = ModelBody,
    responses(
        (status = 200, description = "The changed model", body = ModelView),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(mut body): Body<ModelBody>,
) -> ApiResult<Json<ModelView>> {
    let model = owned_model(&state, &caller, &id).await?;
    if body.template.is_some() {
        return Err(ApiError::invalid(
            "template",
            "apply a template to a model with POST /api/v1/models/{id}/templates/{name}",
        ));
    }
    let mut spec: ModelSpec = model.spec.clone();
    if let Some(name) = body.name.take() {
        spec.name = name;
    }
    let deciders = state.runner.deciders();
    apply_model_changes(&mut spec, body.changes()?, deciders, LLM).map_err(settings_error)?;
    let updated = state
        .store
        .models()
        .update(caller.id(), model.id, &spec)
        .await
        .map_err(model_store_error)?;
    Ok(Json(model_view(&updated, deciders)))
}

/// `DELETE /api/v1/models/{id}`: deletes a model without runs and its rules (204; a
/// model with runs is a 409: runs are the record of what was traded).
#[utoipa::path(
    delete,
    path = "/api/v1/models/{id}",
    tag = "models",
    params(("id" = i64, Path, description = "The model's id", minimum = 1)),
    responses(
        (status = 204, description = "The model and its rules are deleted"),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = ModelId(parse_id("model", &id)?);
    state.store.models().delete(caller.id(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
