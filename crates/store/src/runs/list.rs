//! Listing runs: an owner's runs by model or all of them, and every owner's runs in a
//! status (the system's view), a page at a time.

use super::{Run, RunStatus, Runs, from_row};
use crate::db::with_pool;
use crate::error::{Result, StoreError};
use crate::page::{Page, PageRequest};
use crate::{ModelId, RunId, UserId};

impl Runs<'_> {
    /// A page of the runs of one of the owner's models, newest (highest number) first;
    /// `page.after` is the id of the last run of the previous page. Another owner's
    /// model (or cursor) is [`StoreError::NotFound`].
    #[tracing::instrument(name = "store.runs.list_by_model", skip(self, page), fields(user = owner.0, model = model.0))]
    pub async fn list_by_model(
        &self,
        owner: UserId,
        model: ModelId,
        page: PageRequest<RunId>,
    ) -> Result<Page<Run, RunId>> {
        let limit = page.fetch_limit()?;
        self.store.models().get(owner, model).await?;
        let before = match page.after {
            Some(after) => {
                let run = self.get(owner, after).await?;
                if run.model != model {
                    return Err(StoreError::not_found("run", after));
                }
                run.number
            }
            None => i64::MAX,
        };
        let sql = concat!(
            "SELECT ",
            cols!(),
            " FROM runs WHERE model_id = $1 AND run_number < $2 ORDER BY run_number DESC LIMIT $3"
        );
        let runs: Vec<Run> = with_pool!(self.store, p => {
            let rows = sqlx::query(sql).bind(model.0).bind(before).bind(limit).fetch_all(p).await?;
            rows.iter().map(from_row).collect::<Result<_>>()?
        });
        Ok(Page::from_fetched(runs, page.limit, |r| r.id))
    }

    /// A page of all the owner's runs: by model name, then newest first within a
    /// model (the order `tradelab runs list` shows); `page.after` is the id of the last
    /// run of the previous page (one of the owner's, else [`StoreError::NotFound`]).
    #[tracing::instrument(name = "store.runs.list_by_owner", skip(self, page), fields(user = owner.0))]
    pub async fn list_by_owner(
        &self,
        owner: UserId,
        page: PageRequest<RunId>,
    ) -> Result<Page<Run, RunId>> {
        let limit = page.fetch_limit()?;
        let after = match page.after {
            Some(after) => {
                let run = self.get(owner, after).await?;
                let model = self.store.models().get(owner, run.model).await?;
                Some((model.spec.name, run.number))
            }
            None => None,
        };
        let (after_name, after_number) = after.unzip();
        let sql = concat!(
            "SELECT ",
            cols!(),
            ", (SELECT name FROM models WHERE models.id = runs.model_id) AS model_name \
             FROM runs WHERE ",
            OWNED!(1),
            " AND ($2 IS NULL \
               OR (SELECT name FROM models WHERE models.id = runs.model_id) > $2 \
               OR ((SELECT name FROM models WHERE models.id = runs.model_id) = $2 \
                   AND run_number < $3)) \
             ORDER BY model_name, run_number DESC LIMIT $4"
        );
        let runs: Vec<Run> = with_pool!(self.store, p => {
            let rows = sqlx::query(sql)
                .bind(owner.0)
                .bind(after_name)
                .bind(after_number)
                .bind(limit)
                .fetch_all(p)
                .await?;
            rows.iter().map(from_row).collect::<Result<_>>()?
        });
        Ok(Page::from_fetched(runs, page.limit, |r| r.id))
    }

    /// How many runs one of the owner's models has (0 for another owner's model).
    #[tracing::instrument(name = "store.runs.count_by_model", skip(self), fields(user = owner.0, model = model.0))]
    pub async fn count_by_model(&self, owner: UserId, model: ModelId) -> Result<i64> {
        let sql = concat!(
            "SELECT COUNT(*) FROM runs WHERE model_id = $1 AND ",
            OWNED!(2)
        );
        Ok(with_pool!(self.store, p => {
            sqlx::query_scalar(sql).bind(model.0).bind(owner.0).fetch_one(p).await?
        }))
    }

    /// A page of the runs in a status, of every user, oldest first (e.g. the queue).
    /// Admin/system only (a worker picking up queued runs): a path acting for a user
    /// must use [`Runs::list_by_owner`].
    pub async fn list_by_status_all_owners(
        &self,
        status: RunStatus,
        page: PageRequest<RunId>,
    ) -> Result<Page<Run, RunId>> {
        let limit = page.fetch_limit()?;
        let sql = concat!(
            "SELECT ",
            cols!(),
            " FROM runs WHERE status = $1 AND id > $2 ORDER BY id LIMIT $3"
        );
        let after = page.after.map_or(i64::MIN, |r| r.0);
        let runs: Vec<Run> = with_pool!(self.store, p => {
            let rows = sqlx::query(sql).bind(status.as_str()).bind(after).bind(limit).fetch_all(p).await?;
            rows.iter().map(from_row).collect::<Result<_>>()?
        });
        Ok(Page::from_fetched(runs, page.limit, |r| r.id))
    }
}
