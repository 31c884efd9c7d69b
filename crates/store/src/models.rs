//! Models: named trading-strategy definitions owned by a user.

use crate::db::{BeginWrite, RowExt, now, to_json, with_pool};
use crate::error::{Result, StoreError, duplicate_or, is_foreign_key_violation};
use crate::page::{Page, PageRequest};
use crate::{ModelId, Store, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tradelab_core::{Money, Symbol, Timestamp};

/// Which decider drives a model and how it is configured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeciderConfig {
    /// Decider kind, e.g. `strategy:sma_cross`, `llm`, `ml`.
    pub kind: String,
    /// Kind-specific parameters.
    pub params: Value,
}

/// The editable part of a model (everything but owner, id and times).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    /// Unique per owner.
    pub name: String,
    pub description: String,
    pub decider: DeciderConfig,
    /// Starting cash of each run.
    pub initial_cash: Money,
    /// Symbols the model may trade (empty: any symbol of the run).
    pub allowed_symbols: Vec<Symbol>,
    /// Free-text rules given to an LLM decider.
    pub rules_text: String,
    /// Free-text instructions given to an LLM decider.
    pub instructions: String,
    /// Default fill model of runs (price rule, slippage, commission, latency).
    pub fill_model: Value,
}

/// A stored model.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Model {
    pub id: ModelId,
    pub owner: UserId,
    #[serde(flatten)]
    pub spec: ModelSpec,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The model repository: `store.models()`.
pub struct Models<'a> {
    pub(crate) store: &'a Store,
}

macro_rules! cols {
    () => {
        "id, owner_id, name, description, decider, initial_cash, allowed_symbols, rules_text, \
         instructions, fill_model, created_at_ns, updated_at_ns"
    };
}

pub(crate) fn from_row(row: &impl RowExt) -> Result<Model> {
    Ok(Model {
        id: ModelId(row.i64("id")?),
        owner: UserId(row.i64("owner_id")?),
        spec: ModelSpec {
            name: row.text("name")?,
            description: row.text("description")?,
            decider: row.json_as("decider")?,
            initial_cash: row.parse("initial_cash")?,
            allowed_symbols: row.json_as("allowed_symbols")?,
            rules_text: row.text("rules_text")?,
            instructions: row.text("instructions")?,
            fill_model: row.json("fill_model")?,
        },
        created_at: row.ts("created_at_ns")?,
        updated_at: row.ts("updated_at_ns")?,
    })
}

fn validate(spec: &ModelSpec) -> Result<()> {
    if spec.name.trim().is_empty() {
        return Err(StoreError::invalid("model name", "is empty"));
    }
    if spec.name.trim() != spec.name {
        return Err(StoreError::invalid(
            "model name",
            format!("{:?} has leading or trailing spaces", spec.name),
        ));
    }
    // A name is how a model is found, and `name#3` how its runs are: it must not read
    // as an id or contain the separator.
    let name = &spec.name;
    if name.contains('#') {
        return Err(StoreError::invalid(
            "model name",
            format!("{name:?} contains '#', which separates a model from a run number"),
        ));
    }
    if name.chars().all(|c| c.is_ascii_digit()) {
        return Err(StoreError::invalid(
            "model name",
            format!("{name:?} is all digits and would read as a model id"),
        ));
    }
    if name.chars().any(char::is_control) || name.chars().count() > 100 {
        return Err(StoreError::invalid(
            "model name",
            format!("{name:?} must be at most 100 printable characters"),
        ));
    }
    if spec.allowed_symbols.is_empty() {
        return Err(StoreError::invalid(
            "model symbols",
            format!(
                "model {name} names no symbols: a model trades the symbols it is created \
                 with (e.g. --symbols AAPL,MSFT)"
            ),
        ));
    }
    if spec.decider.kind.trim().is_empty() {
        return Err(StoreError::invalid("decider kind", "is empty"));
    }
    if spec.initial_cash <= Money::ZERO {
        return Err(StoreError::invalid(
            "initial cash",
            format!("{} must be > 0", spec.initial_cash),
        ));
    }
    Ok(())
}

impl Models<'_> {
    /// Creates a model for `owner`. A name the owner already uses is
    /// [`StoreError::Duplicate`]; an unknown owner is [`StoreError::NotFound`].
    pub async fn create(&self, owner: UserId, spec: &ModelSpec) -> Result<Model> {
        validate(spec)?;
        let sql = concat!(
            "INSERT INTO models (owner_id, name, description, decider, initial_cash, allowed_symbols, \
             rules_text, instructions, fill_model, created_at_ns, updated_at_ns) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING ",
            cols!()
        );
        let (decider, symbols) = (
            to_json("decider", &spec.decider)?,
            to_json("allowed symbols", &spec.allowed_symbols)?,
        );
        let fill_model = sqlx::types::Json(&spec.fill_model);
        with_pool!(self.store, p => {
            let row = sqlx::query(sql)
                .bind(owner.0)
                .bind(&spec.name)
                .bind(&spec.description)
                .bind(&decider)
                .bind(spec.initial_cash.get().to_string())
                .bind(&symbols)
                .bind(&spec.rules_text)
                .bind(&spec.instructions)
                .bind(fill_model)
                .bind(now().nanos())
                .fetch_one(p)
                .await
                .map_err(|e| {
                    if is_foreign_key_violation(&e) {
                        StoreError::not_found("user", owner)
                    } else {
                        duplicate_or(e, "model", &spec.name)
                    }
                })?;
            from_row(&row)
        })
    }

    /// The owner's model with this id. Another owner's model is [`StoreError::NotFound`],
    /// exactly as an id that does not exist: ids of other users' models leak nothing.
    #[tracing::instrument(name = "store.models.get", skip(self), fields(user = owner.0, model = id.0))]
    pub async fn get(&self, owner: UserId, id: ModelId) -> Result<Model> {
        let sql = concat!(
            "SELECT ",
            cols!(),
            " FROM models WHERE id = $1 AND owner_id = $2"
        );
        with_pool!(self.store, p => {
            let row = sqlx::query(sql).bind(id.0).bind(owner.0).fetch_optional(p).await?;
            row.as_ref().map(from_row).transpose()?.ok_or_else(|| StoreError::not_found("model", id))
        })
    }

    /// The model with this id, whoever owns it. Admin/system only (e.g. an operator's
    /// tool): a path acting for a user must use [`Models::get`].
    pub async fn get_any(&self, id: ModelId) -> Result<Model> {
        let sql = concat!("SELECT ", cols!(), " FROM models WHERE id = $1");
        with_pool!(self.store, p => {
            let row = sqlx::query(sql).bind(id.0).fetch_optional(p).await?;
            row.as_ref().map(from_row).transpose()?.ok_or_else(|| StoreError::not_found("model", id))
        })
    }

    /// The owner's model with this name, if any.
    pub async fn find_by_name(&self, owner: UserId, name: &str) -> Result<Option<Model>> {
        let sql = concat!(
            "SELECT ",
            cols!(),
            " FROM models WHERE owner_id = $1 AND name = $2"
        );
        with_pool!(self.store, p => {
            let row = sqlx::query(sql).bind(owner.0).bind(name).fetch_optional(p).await?;
            row.as_ref().map(from_row).transpose()
        })
    }

    /// A page of the owner's models, by name; `page.after` is the id of the last model
    /// of the previous page (one of the owner's, else [`StoreError::NotFound`]).
    #[tracing::instrument(name = "store.models.list_by_owner", skip(self, page), fields(user = owner.0))]
    pub async fn list_by_owner(
        &self,
        owner: UserId,
        page: PageRequest<ModelId>,
    ) -> Result<Page<Model, ModelId>> {
        let limit = page.fetch_limit()?;
        let after_name = match page.after {
            Some(after) => Some(self.get(owner, after).await?.spec.name),
            None => None,
        };
        let sql = concat!(
            "SELECT ",
            cols!(),
            " FROM models WHERE owner_id = $1 AND ($2 IS NULL OR name > $2) ORDER BY name LIMIT $3"
        );
        let models: Vec<Model> = with_pool!(self.store, p => {
            let rows = sqlx::query(sql).bind(owner.0).bind(after_name).bind(limit).fetch_all(p).await?;
            rows.iter().map(from_row).collect::<Result<_>>()?
        });
        Ok(Page::from_fetched(models, page.limit, |m| m.id))
    }

    /// A page of every user's models, by id. Admin/system only: a path acting for a
    /// user must use [`Models::list_by_owner`].
    pub async fn list_all_owners(
        &self,
        page: PageRequest<ModelId>,
    ) -> Result<Page<Model, ModelId>> {
        let limit = page.fetch_limit()?;
        let sql = concat!(
            "SELECT ",
            cols!(),
            " FROM models WHERE id > $1 ORDER BY id LIMIT $2"
        );
        let after = page.after.map_or(i64::MIN, |m| m.0);
        let models: Vec<Model> = with_pool!(self.store, p => {
            let rows = sqlx::query(sql).bind(after).bind(limit).fetch_all(p).await?;
            rows.iter().map(from_row).collect::<Result<_>>()?
        });
        Ok(Page::from_fetched(models, page.limit, |m| m.id))
    }

    /// Replaces the editable fields of the owner's model (another owner's is
    /// [`StoreError::NotFound`]). Runs already created keep their snapshot.
    #[tracing::instrument(name = "store.models.update", skip(self, spec), fields(user = owner.0, model = id.0))]
    pub async fn update(&self, owner: UserId, id: ModelId, spec: &ModelSpec) -> Result<Model> {
        validate(spec)?;
        let sql = concat!(
            "UPDATE models SET name = $2, description = $3, decider = $4, initial_cash = $5, \
             allowed_symbols = $6, rules_text = $7, instructions = $8, fill_model = $9, \
             updated_at_ns = $10 WHERE id = $1 AND owner_id = $11 RETURNING ",
            cols!()
        );
        let (decider, symbols) = (
            to_json("decider", &spec.decider)?,
            to_json("allowed symbols", &spec.allowed_symbols)?,
        );
        let fill_model = sqlx::types::Json(&spec.fill_model);
        with_pool!(self.store, p => {
            let row = sqlx::query(sql)
                .bind(id.0)
                .bind(&spec.name)
                .bind(&spec.description)
                .bind(&decider)
                .bind(spec.initial_cash.get().to_string())
                .bind(&symbols)
                .bind(&spec.rules_text)
                .bind(&spec.instructions)
                .bind(fill_model)
                .bind(now().nanos())
                .bind(owner.0)
                .fetch_optional(p)
                .await
                .map_err(|e| duplicate_or(e, "model", &spec.name))?;
            row.as_ref().map(from_row).transpose()?.ok_or_else(|| StoreError::not_found("model", id))
        })
    }

    /// Deletes a model and its rules. A model with runs cannot be deleted
    /// ([`StoreError::Conflict`], naming the model and how many runs it has): its runs'
    /// audit trail refers to it. Another owner's model is [`StoreError::NotFound`].
    #[tracing::instrument(name = "store.models.delete", skip(self), fields(user = owner.0, model = id.0))]
    pub async fn delete(&self, owner: UserId, id: ModelId) -> Result<()> {
        with_pool!(self.store, p => {
            let mut tx = p.begin_write().await?;
            // Touching the row locks it (on PostgreSQL) against a run being created
            // meanwhile, as creating a run bumps the same counter.
            let name: String = sqlx::query_scalar(
                "UPDATE models SET runs_created = runs_created WHERE id = $1 AND owner_id = $2 \
                 RETURNING name",
            )
            .bind(id.0)
            .bind(owner.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::not_found("model", id))?;
            let runs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runs WHERE model_id = $1")
                .bind(id.0)
                .fetch_one(&mut *tx)
                .await?;
            if runs > 0 {
                return Err(has_runs(&name, runs));
            }
            sqlx::query("DELETE FROM models WHERE id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    if is_foreign_key_violation(&e) {
                        has_runs(&name, 1)
                    } else {
                        StoreError::Database(e)
                    }
                })?;
            tx.commit().await?;
            Ok(())
        })
    }
}

/// Why a model with runs is not deleted.
fn has_runs(name: &str, runs: i64) -> StoreError {
    StoreError::Conflict {
        what: "model",
        message: format!(
            "model {name} has {runs} run(s), and runs are kept as the record of what was \
             traded; a model with runs cannot be deleted (rename it instead)"
        ),
    }
}
