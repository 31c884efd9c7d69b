//! Structured rules of a model (risk limits, exits, trading windows), enforced by the
//! engine's risk engine. Names are unique per model.

use crate::db::{RowExt, now, text_enum, with_pool};
use crate::error::{Result, StoreError, duplicate_or, is_foreign_key_violation};
use crate::{ModelId, RuleId, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tradelab_core::Timestamp;

text_enum!(
    /// Who wrote a rule.
    RuleOrigin {
        /// The model's owner.
        User => "user",
        /// Proposed by the analyst agent and accepted by the owner.
        Analyst => "analyst",
        /// Added by tradelab (templates, global policy).
        System => "system",
    }
);

/// The editable part of a rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleSpec {
    /// Rule kind, e.g. `position_size`, `stop_loss`, `trading_window`.
    pub category: String,
    /// Unique per model.
    pub name: String,
    pub description: String,
    /// Category-specific parameters.
    pub params: Value,
    /// Lower runs first.
    pub priority: i64,
    /// Inactive rules are kept but not enforced (nor snapshotted into runs).
    pub active: bool,
    pub origin: RuleOrigin,
}

/// A stored rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rule {
    pub id: RuleId,
    pub model: ModelId,
    #[serde(flatten)]
    pub spec: RuleSpec,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The rule repository: `store.rules()`.
pub struct Rules<'a> {
    pub(crate) store: &'a Store,
}

macro_rules! cols {
    () => {
        "id, model_id, category, name, description, params, priority, active, origin, \
         created_at_ns, updated_at_ns"
    };
}

pub(crate) fn from_row(row: &impl RowExt) -> Result<Rule> {
    Ok(Rule {
        id: RuleId(row.i64("id")?),
        model: ModelId(row.i64("model_id")?),
        spec: RuleSpec {
            category: row.text("category")?,
            name: row.text("name")?,
            description: row.text("description")?,
            params: row.json("params")?,
            priority: row.i64("priority")?,
            active: row.bool("active")?,
            origin: row.parse("origin")?,
        },
        created_at: row.ts("created_at_ns")?,
        updated_at: row.ts("updated_at_ns")?,
    })
}

/// `SELECT` of a model's rules in enforcement order (for the run snapshot too).
pub(crate) const LIST_SQL: &str = concat!(
    "SELECT ",
    cols!(),
    " FROM model_rules WHERE model_id = $1 ORDER BY priority, name"
);

fn validate(spec: &RuleSpec) -> Result<()> {
    if spec.name.trim().is_empty() || spec.name.trim() != spec.name {
        return Err(StoreError::invalid(
            "rule name",
            format!("{:?} is empty or has leading or trailing spaces", spec.name),
        ));
    }
    if spec.category.trim().is_empty() {
        return Err(StoreError::invalid("rule category", "is empty"));
    }
    Ok(())
}

impl Rules<'_> {
    /// Adds a rule to a model. A name the model already uses is [`StoreError::Duplicate`].
    pub async fn create(&self, model: ModelId, spec: &RuleSpec) -> Result<Rule> {
        validate(spec)?;
        let sql = concat!(
            "INSERT INTO model_rules (model_id, category, name, description, params, priority, \
             active, origin, created_at_ns, updated_at_ns) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING ",
            cols!()
        );
        with_pool!(self.store, p => {
            let row = sqlx::query(sql)
                .bind(model.0)
                .bind(&spec.category)
                .bind(&spec.name)
                .bind(&spec.description)
                .bind(sqlx::types::Json(&spec.params))
                .bind(spec.priority)
                .bind(spec.active)
                .bind(spec.origin.as_str())
                .bind(now().nanos())
                .fetch_one(p)
                .await
                .map_err(|e| {
                    if is_foreign_key_violation(&e) {
                        StoreError::not_found("model", model)
                    } else {
                        duplicate_or(e, "rule", &spec.name)
                    }
                })?;
            from_row(&row)
        })
    }

    /// The rule with this id.
    pub async fn get(&self, id: RuleId) -> Result<Rule> {
        let sql = concat!("SELECT ", cols!(), " FROM model_rules WHERE id = $1");
        with_pool!(self.store, p => {
            let row = sqlx::query(sql).bind(id.0).fetch_optional(p).await?;
            row.as_ref().map(from_row).transpose()?.ok_or_else(|| StoreError::not_found("rule", id))
        })
    }

    /// A model's rules, by priority then name.
    pub async fn list(&self, model: ModelId) -> Result<Vec<Rule>> {
        with_pool!(self.store, p => {
            let rows = sqlx::query(LIST_SQL).bind(model.0).fetch_all(p).await?;
            rows.iter().map(from_row).collect()
        })
    }

    /// Replaces a rule's editable fields.
    pub async fn update(&self, id: RuleId, spec: &RuleSpec) -> Result<Rule> {
        validate(spec)?;
        let sql = concat!(
            "UPDATE model_rules SET category = $2, name = $3, description = $4, params = $5, \
             priority = $6, active = $7, origin = $8, updated_at_ns = $9 WHERE id = $1 RETURNING ",
            cols!()
        );
        with_pool!(self.store, p => {
            let row = sqlx::query(sql)
                .bind(id.0)
                .bind(&spec.category)
                .bind(&spec.name)
                .bind(&spec.description)
                .bind(sqlx::types::Json(&spec.params))
                .bind(spec.priority)
                .bind(spec.active)
                .bind(spec.origin.as_str())
                .bind(now().nanos())
                .fetch_optional(p)
                .await
                .map_err(|e| duplicate_or(e, "rule", &spec.name))?;
            row.as_ref().map(from_row).transpose()?.ok_or_else(|| StoreError::not_found("rule", id))
        })
    }

    /// Turns a rule on or off.
    pub async fn set_active(&self, id: RuleId, active: bool) -> Result<Rule> {
        let sql = concat!(
            "UPDATE model_rules SET active = $2, updated_at_ns = $3 WHERE id = $1 RETURNING ",
            cols!()
        );
        with_pool!(self.store, p => {
            let row = sqlx::query(sql)
                .bind(id.0)
                .bind(active)
                .bind(now().nanos())
                .fetch_optional(p)
                .await?;
            row.as_ref().map(from_row).transpose()?.ok_or_else(|| StoreError::not_found("rule", id))
        })
    }

    /// Deletes a rule.
    pub async fn delete(&self, id: RuleId) -> Result<()> {
        let n = with_pool!(self.store, p => {
            sqlx::query("DELETE FROM model_rules WHERE id = $1")
                .bind(id.0)
                .execute(p)
                .await?
                .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::not_found("rule", id));
        }
        Ok(())
    }
}
