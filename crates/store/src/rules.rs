//! Structured rules of a model (risk limits, exits, trading windows), enforced by the
//! engine's risk engine. Names are unique per model.

use crate::db::{RowExt, now, text_enum, with_pool};
use crate::error::{Result, StoreError, duplicate_or, is_foreign_key_violation};
use crate::page::{Page, PageRequest};
use crate::{ModelId, RuleId, Store, UserId};
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

/// The condition that a `model_rules` row belongs to a model of owner `$2` (or the
/// numbered parameter given).
macro_rules! OWNED {
    () => {
        OWNED!(2)
    };
    (2) => {
        "model_id IN (SELECT id FROM models WHERE owner_id = $2)"
    };
    (4) => {
        "model_id IN (SELECT id FROM models WHERE owner_id = $4)"
    };
    (10) => {
        "model_id IN (SELECT id FROM models WHERE owner_id = $10)"
    };
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
    /// Adds a rule to one of the owner's models (another owner's model is
    /// [`StoreError::NotFound`]). A name the model already uses is [`StoreError::Duplicate`].
    #[tracing::instrument(name = "store.rules.create", skip(self, spec), fields(user = owner.0, model = model.0))]
    pub async fn create(&self, owner: UserId, model: ModelId, spec: &RuleSpec) -> Result<Rule> {
        validate(spec)?;
        let sql = concat!(
            "INSERT INTO model_rules (model_id, category, name, description, params, priority, \
             active, origin, created_at_ns, updated_at_ns) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $9 \
             WHERE EXISTS (SELECT 1 FROM models WHERE id = $1 AND owner_id = $10) RETURNING ",
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
                .bind(owner.0)
                .fetch_optional(p)
                .await
                .map_err(|e| {
                    if is_foreign_key_violation(&e) {
                        StoreError::not_found("model", model)
                    } else {
                        duplicate_or(e, "rule", &spec.name)
                    }
                })?
                .ok_or_else(|| StoreError::not_found("model", model))?;
            from_row(&row)
        })
    }

    /// The owner's rule with this id (of any of the owner's models). Another owner's
    /// rule is [`StoreError::NotFound`], as a missing id.
    #[tracing::instrument(name = "store.rules.get", skip(self), fields(user = owner.0, rule = id.0))]
    pub async fn get(&self, owner: UserId, id: RuleId) -> Result<Rule> {
        let sql = concat!(
            "SELECT ",
            cols!(),
            " FROM model_rules WHERE id = $1 AND ",
            OWNED!()
        );
        with_pool!(self.store, p => {
            let row = sqlx::query(sql).bind(id.0).bind(owner.0).fetch_optional(p).await?;
            row.as_ref().map(from_row).transpose()?.ok_or_else(|| StoreError::not_found("rule", id))
        })
    }

    /// A page of the rules of one of the owner's models, by priority then name;
    /// `page.after` is the id of the last rule of the previous page. Another owner's
    /// model (or cursor) is [`StoreError::NotFound`].
    #[tracing::instrument(name = "store.rules.list", skip(self, page), fields(user = owner.0, model = model.0))]
    pub async fn list(
        &self,
        owner: UserId,
        model: ModelId,
        page: PageRequest<RuleId>,
    ) -> Result<Page<Rule, RuleId>> {
        let limit = page.fetch_limit()?;
        // The model must be the owner's even when it has no rules (an empty page of
        // another owner's model would say it exists).
        self.store.models().get(owner, model).await?;
        let after = match page.after {
            Some(after) => {
                let rule = self.get(owner, after).await?;
                if rule.model != model {
                    return Err(StoreError::not_found("rule", after));
                }
                Some((rule.spec.priority, rule.spec.name))
            }
            None => None,
        };
        let (after_priority, after_name) = after.unzip();
        let sql = concat!(
            "SELECT ",
            cols!(),
            " FROM model_rules WHERE model_id = $1 \
             AND ($2 IS NULL OR priority > $2 OR (priority = $2 AND name > $3)) \
             ORDER BY priority, name LIMIT $4"
        );
        let rules: Vec<Rule> = with_pool!(self.store, p => {
            let rows = sqlx::query(sql)
                .bind(model.0)
                .bind(after_priority)
                .bind(after_name)
                .bind(limit)
                .fetch_all(p)
                .await?;
            rows.iter().map(from_row).collect::<Result<_>>()?
        });
        Ok(Page::from_fetched(rules, page.limit, |r| r.id))
    }

    /// Replaces the editable fields of the owner's rule (another owner's is
    /// [`StoreError::NotFound`]).
    #[tracing::instrument(name = "store.rules.update", skip(self, spec), fields(user = owner.0, rule = id.0))]
    pub async fn update(&self, owner: UserId, id: RuleId, spec: &RuleSpec) -> Result<Rule> {
        validate(spec)?;
        let sql = concat!(
            "UPDATE model_rules SET category = $2, name = $3, description = $4, params = $5, \
             priority = $6, active = $7, origin = $8, updated_at_ns = $9 WHERE id = $1 AND ",
            OWNED!(10),
            " RETURNING ",
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
                .bind(owner.0)
                .fetch_optional(p)
                .await
                .map_err(|e| duplicate_or(e, "rule", &spec.name))?;
            row.as_ref().map(from_row).transpose()?.ok_or_else(|| StoreError::not_found("rule", id))
        })
    }

    /// Turns the owner's rule on or off (another owner's is [`StoreError::NotFound`]).
    #[tracing::instrument(name = "store.rules.set_active", skip(self), fields(user = owner.0, rule = id.0))]
    pub async fn set_active(&self, owner: UserId, id: RuleId, active: bool) -> Result<Rule> {
        let sql = concat!(
            "UPDATE model_rules SET active = $2, updated_at_ns = $3 WHERE id = $1 AND ",
            OWNED!(4),
            " RETURNING ",
            cols!()
        );
        with_pool!(self.store, p => {
            let row = sqlx::query(sql)
                .bind(id.0)
                .bind(active)
                .bind(now().nanos())
                .bind(owner.0)
                .fetch_optional(p)
                .await?;
            row.as_ref().map(from_row).transpose()?.ok_or_else(|| StoreError::not_found("rule", id))
        })
    }

    /// Deletes the owner's rule (another owner's is [`StoreError::NotFound`]).
    #[tracing::instrument(name = "store.rules.delete", skip(self), fields(user = owner.0, rule = id.0))]
    pub async fn delete(&self, owner: UserId, id: RuleId) -> Result<()> {
        let sql = concat!("DELETE FROM model_rules WHERE id = $1 AND ", OWNED!());
        let n = with_pool!(self.store, p => {
            sqlx::query(sql)
                .bind(id.0)
                .bind(owner.0)
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
