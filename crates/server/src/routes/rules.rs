//! A model's structured rules over HTTP: list, add (one rule of a kind with its
//! parameters, checked as a rules file is), turn on or off and reprioritize, remove,
//! and add a template's rules (as `tradelab models rules add --template`). A rule is
//! always checked together with the model's other rules, so a set the engine would
//! refuse is never stored.

use super::Paging;
use super::body::Body;
use super::model_views::{RuleView, rule_view};
use super::models::owned_model;
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
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tradelab_engine::risk::{RuleSet, RuleSetError, template};
use tradelab_runner::{checked_rules_from_specs, rules_to_specs};
use tradelab_store::{Model, PageRequest, Rule, RuleId, RuleSpec, StoreError};

/// The top-level keys of a rule in a rules file; any other key is a parameter.
const RULE_FIELDS: &[&str] = &[
    "name",
    "kind",
    "priority",
    "active",
    "description",
    "category",
    "origin",
];

/// A rule to add: `{"name": "stop", "kind": "stop_loss_pct", "params": {"pct": 5}}`;
/// priority, category and description default per kind, `active` to true.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRule {
    pub name: Option<String>,
    /// The rule kind, e.g. `stop_loss_pct` (see the rules of `GET /templates`).
    pub kind: Option<String>,
    /// The kind's parameters, e.g. `{"pct": 5}`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub params: Map<String, Value>,
    pub priority: Option<i64>,
    pub active: Option<bool>,
    pub description: Option<String>,
    pub category: Option<String>,
}

/// What `PATCH` changes of a rule.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleChange {
    pub active: Option<bool>,
    pub priority: Option<i64>,
}

/// The field of the request a rules-file problem is about: a rule's own keys by name,
/// its parameters under `params.`.
fn request_field(issue_field: &str) -> String {
    let key = issue_field.split(['[', '.']).next().unwrap_or(issue_field);
    if RULE_FIELDS.contains(&key) {
        issue_field.to_string()
    } else {
        format!("params.{issue_field}")
    }
}

/// A rule set the engine refuses as a 422 naming the first problem's field, with every
/// problem in the detail (the rules file's messages).
fn rules_error(e: RuleSetError) -> ApiError {
    match e {
        RuleSetError::Invalid { issues, .. } => {
            let field = issues
                .first()
                .map_or_else(|| "rules".to_string(), |i| request_field(&i.field));
            let detail: Vec<String> = issues.iter().map(ToString::to_string).collect();
            ApiError::invalid(field, detail.join("; "))
        }
        other => ApiError::invalid("template", other.to_string()),
    }
}

/// Every rule of one of the caller's models.
async fn all_rules(state: &AppState, caller: &Caller, model: &Model) -> ApiResult<Vec<Rule>> {
    let mut all = Vec::new();
    let mut page = PageRequest::max();
    loop {
        let rules = state
            .store
            .rules()
            .list(caller.id(), model.id, page)
            .await?;
        all.extend(rules.items);
        match rules.next_after {
            Some(after) => page.after = Some(after),
            None => return Ok(all),
        }
    }
}

/// Checks the model's rules as a whole with `changed` in place of (or added to) the
/// stored ones of the same id.
fn check_together(stored: &[Rule], skip: Option<RuleId>, new: &[RuleSpec]) -> ApiResult<()> {
    let mut specs: Vec<RuleSpec> = stored
        .iter()
        .filter(|r| Some(r.id) != skip)
        .map(|r| r.spec.clone())
        .collect();
    specs.extend(new.iter().cloned());
    checked_rules_from_specs(&specs, "").map_err(rules_error)?;
    Ok(())
}

/// A rule of the model in the path, the caller's (404 for a rule of another model).
async fn owned_rule(
    state: &AppState,
    caller: &Caller,
    model: &Model,
    rule_id: &str,
) -> ApiResult<Rule> {
    let id = RuleId(parse_id("rule", rule_id)?);
    let not_found = || ApiError::not_found("rule", id.0);
    let rule = state
        .store
        .rules()
        .get(caller.id(), id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound { .. } => not_found(),
            other => other.into(),
        })?;
    if rule.model != model.id {
        return Err(not_found());
    }
    Ok(rule)
}

/// `GET /api/v1/models/{id}/rules`: a page of the model's rules, in the store's order
/// (priority, then name).
#[utoipa::path(
    get,
    path = "/api/v1/models/{id}/rules",
    tag = "rules",
    params(("id" = i64, Path, description = "The model's id", minimum = 1), Paging),
    responses(
        (status = 200, description = "A page of the model's rules", body = PageView<RuleView>),
        (status = 400, response = doc::BadInput),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(paging): Query<Paging>,
) -> ApiResult<Json<PageView<RuleView>>> {
    let model = owned_model(&state, &caller, &id).await?;
    let page = state
        .store
        .rules()
        .list(caller.id(), model.id, paging.request(RuleId)?)
        .await?;
    Ok(Json(PageView {
        items: page.items.iter().map(rule_view).collect(),
        next_after: page.next_after.map(|k| k.0),
    }))
}

/// `POST /api/v1/models/{id}/rules`: adds one rule (201), checked alone and with the
/// model's other rules, with the messages of a rules file.
#[utoipa::path(
    post,
    path = "/api/v1/models/{id}/rules",
    tag = "rules",
    params(("id" = i64, Path, description = "The model's id", minimum = 1)),
    request_body = NewRule,
    responses(
        (status = 201, description = "The new rule", body = RuleView),
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
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(req): Body<NewRule>,
) -> ApiResult<(StatusCode, Json<RuleView>)> {
    let model = owned_model(&state, &caller, &id).await?;
    let name = req.name.unwrap_or_default();
    if name.trim().is_empty() {
        return Err(ApiError::invalid("name", "a rule needs a name"));
    }
    let Some(kind) = req.kind else {
        return Err(ApiError::invalid(
            "kind",
            "a rule needs a kind (see the kinds of GET /api/v1/templates' rules)",
        ));
    };
    let mut doc = Map::new();
    for (k, v) in req.params {
        if RULE_FIELDS.contains(&k.as_str()) {
            return Err(ApiError::invalid(
                format!("params.{k}"),
                format!("{k} is a field of the rule, not a parameter: give it at the top level"),
            ));
        }
        doc.insert(k, v);
    }
    doc.insert("name".into(), name.into());
    doc.insert("kind".into(), kind.into());
    if let Some(p) = req.priority {
        doc.insert("priority".into(), p.into());
    }
    if let Some(a) = req.active {
        doc.insert("active".into(), a.into());
    }
    if let Some(d) = req.description {
        doc.insert("description".into(), d.into());
    }
    if let Some(c) = req.category {
        doc.insert("category".into(), c.into());
    }
    let set = RuleSet::from_document(json!({ "rules": [Value::Object(doc)] }), "rule")
        .map_err(rules_error)?;
    let specs = rules_to_specs(&set);
    let stored = all_rules(&state, &caller, &model).await?;
    check_together(&stored, None, &specs)?;
    let spec = specs
        .first()
        .ok_or_else(|| ApiError::internal("a decoded rule set of one rule is empty"))?;
    let rule = state
        .store
        .rules()
        .create(caller.id(), model.id, spec)
        .await
        .map_err(|e| match e {
            StoreError::Duplicate { .. } => ApiError::conflict(e.to_string()).with_field("name"),
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(rule_view(&rule))))
}

/// `PATCH /api/v1/models/{id}/rules/{rule_id}`: turns a rule on or off and sets its
/// priority (1 to 10), checked with the model's other rules.
#[utoipa::path(
    patch,
    path = "/api/v1/models/{id}/rules/{rule_id}",
    tag = "rules",
    params(
        ("id" = i64, Path, description = "The model's id", minimum = 1),
        ("rule_id" = i64, Path, description = "The rule's id", minimum = 1),
    ),
    request_body = RuleChange,
    responses(
        (status = 200, description = "The changed rule", body = RuleView),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, rule_id)): Path<(String, String)>,
    Body(req): Body<RuleChange>,
) -> ApiResult<Json<RuleView>> {
    let model = owned_model(&state, &caller, &id).await?;
    let rule = owned_rule(&state, &caller, &model, &rule_id).await?;
    let mut spec = rule.spec.clone();
    if let Some(a) = req.active {
        spec.active = a;
    }
    if let Some(p) = req.priority {
        spec.priority = p;
    }
    let stored = all_rules(&state, &caller, &model).await?;
    check_together(&stored, Some(rule.id), std::slice::from_ref(&spec))?;
    let updated = state
        .store
        .rules()
        .update(caller.id(), rule.id, &spec)
        .await?;
    Ok(Json(rule_view(&updated)))
}

/// `DELETE /api/v1/models/{id}/rules/{rule_id}`: removes a rule (204).
#[utoipa::path(
    delete,
    path = "/api/v1/models/{id}/rules/{rule_id}",
    tag = "rules",
    params(
        ("id" = i64, Path, description = "The model's id", minimum = 1),
        ("rule_id" = i64, Path, description = "The rule's id", minimum = 1),
    ),
    responses(
        (status = 204, description = "The rule is removed"),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, rule_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let model = owned_model(&state, &caller, &id).await?;
    let rule = owned_rule(&state, &caller, &model, &rule_id).await?;
    state.store.rules().delete(caller.id(), rule.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The rules a template added.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AddedRules {
    pub template: String,
    pub items: Vec<RuleView>,
}

/// `POST /api/v1/models/{id}/templates/{name}`: adds a template's rules to a model
/// (201), checked with the model's rules first, so a name already used or a second
/// active rule of a kind is refused before any is stored. An unknown template is 404.
#[utoipa::path(
    post,
    path = "/api/v1/models/{id}/templates/{name}",
    tag = "rules",
    params(
        ("id" = i64, Path, description = "The model's id", minimum = 1),
        ("name" = String, Path, description = "A template of `GET /templates`"),
    ),
    responses(
        (status = 201, description = "The rules added", body = AddedRules),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn apply_template(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<AddedRules>)> {
    let model = owned_model(&state, &caller, &id).await?;
    let set = template(&name)
        .map_err(|e| ApiError::new(StatusCode::NOT_FOUND, e.to_string()).with_field("name"))?;
    let specs = rules_to_specs(&set);
    let stored = all_rules(&state, &caller, &model).await?;
    check_together(&stored, None, &specs)?;
    let mut items = Vec::with_capacity(specs.len());
    for spec in &specs {
        let rule = state
            .store
            .rules()
            .create(caller.id(), model.id, spec)
            .await?;
        items.push(rule_view(&rule));
    }
    Ok((
        StatusCode::CREATED,
        Json(AddedRules {
            template: name,
            items,
        }),
    ))
}
