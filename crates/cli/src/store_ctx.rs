//! Opening the store for a command: the runtime, the acting user, and resolving the
//! names and numbers people type into ids.

use crate::store_args::StoreArgs;
use anyhow::{Context, Result, anyhow, bail};
use tradelab_store::{
    LOCAL_ADMIN_EMAIL, Model, ModelId, NewUser, PageRequest, Role, Rule, Run, RunId, Store,
    StoreConfig, StoreError, User,
};

/// An open store with the user a command acts for.
pub struct Ctx {
    pub store: Store,
    pub user: User,
}

/// A tokio runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Opens the store (applying migrations), marks runs a dead process left `running` as
/// `interrupted`, and finds or creates the acting user: a new account has the role
/// `user`; the local default account (`local@tradelab`) is the one admin.
pub async fn open(args: &StoreArgs) -> Result<Ctx> {
    let email = tradelab_store::normalize_email(&args.user).map_err(|e| anyhow!("--user: {e}"))?;
    let config = StoreConfig::from_flags(args.data_dir.clone(), args.database_url.clone());
    let store = Store::open(&config).await?;
    let interrupted = store.runs().mark_interrupted_runs().await?;
    for id in &interrupted {
        eprintln!(
            "note: run {id} was left queued or running by a process that ended; marked interrupted"
        );
    }
    let user = match store.users().find_by_email(&email).await? {
        Some(u) => u,
        None => {
            let new = NewUser {
                email: email.clone(),
                // "!" = no password: the local CLI account cannot log in to the API.
                password_hash: "!".to_string(),
                role: if email == LOCAL_ADMIN_EMAIL {
                    Role::Admin
                } else {
                    Role::User
                },
                display_name: email.split('@').next().unwrap_or("local").to_string(),
            };
            match store.users().create(&new).await {
                Ok(u) => u,
                Err(StoreError::Duplicate { .. }) => store
                    .users()
                    .find_by_email(&email)
                    .await?
                    .ok_or_else(|| anyhow!("user {email} vanished"))?,
                Err(e) => return Err(e.into()),
            }
        }
    };
    Ok(Ctx { store, user })
}

impl Ctx {
    /// A model of the user by name, or by numeric id.
    pub async fn model(&self, text: &str) -> Result<Model> {
        if let Some(m) = self.store.models().find_by_name(self.user.id, text).await? {
            return Ok(m);
        }
        if let Ok(id) = text.parse::<i64>() {
            match self.store.models().get(self.user.id, ModelId(id)).await {
                Ok(m) => return Ok(m),
                Err(StoreError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let models = self
            .store
            .models()
            .list_by_owner(self.user.id, PageRequest::max())
            .await?;
        let mut names: Vec<String> = models.items.into_iter().map(|m| m.spec.name).collect();
        if models.next_after.is_some() {
            names.push("… (see `tradelab models list`)".into());
        }
        bail!(
            "no model {text:?}; your models: {}",
            if names.is_empty() {
                "none (create one with `tradelab models create`)".into()
            } else {
                names.join(", ")
            }
        )
    }

    /// A run by id (`12`) or by model and number (`trend#3`), of the user's models.
    /// A RUN that is neither, or names no run of the user, is refused once, saying
    /// what RUN accepts.
    pub async fn run(&self, text: &str) -> Result<Run> {
        const ACCEPTS: &str = "RUN is a run id (12) or MODEL#NUMBER (trend#3); \
                               `tradelab runs list` shows yours";
        let shown = crate::display::one_line(text, 60);
        let run = if let Some((model, number)) = text.rsplit_once('#') {
            let model = self.model(model).await?;
            let Ok(n) = number.trim().parse::<i64>() else {
                bail!("no run {shown:?}: {number:?} is not a run number; {ACCEPTS}");
            };
            match self
                .store
                .runs()
                .get_by_number(self.user.id, model.id, n)
                .await
            {
                Ok(r) => r,
                Err(StoreError::NotFound { .. }) => {
                    let mut runs: Vec<i64> = self
                        .store
                        .runs()
                        .list_by_model(self.user.id, model.id, PageRequest::max())
                        .await?
                        .items
                        .iter()
                        .map(|r| r.number)
                        .collect();
                    runs.sort_unstable();
                    let numbers: Vec<String> = runs.iter().map(|n| format!("#{n}")).collect();
                    bail!(
                        "model {} has no run #{n}; its runs: {}",
                        model.spec.name,
                        if numbers.is_empty() {
                            "none yet".to_string()
                        } else {
                            numbers.join(", ")
                        }
                    );
                }
                Err(e) => return Err(e.into()),
            }
        } else {
            let Ok(id) = text.trim().parse::<i64>() else {
                let hint = match self.store.models().find_by_name(self.user.id, text).await? {
                    Some(m) => format!(
                        " (for a run of model {}, add its number: {}#1)",
                        m.spec.name, m.spec.name
                    ),
                    None => String::new(),
                };
                bail!("no run {shown:?}: {ACCEPTS}{hint}");
            };
            match self.store.runs().get(self.user.id, RunId(id)).await {
                Ok(r) => r,
                Err(StoreError::NotFound { .. }) => bail!("no run {id} among your runs; {ACCEPTS}"),
                Err(e) => return Err(e.into()),
            }
        };
        Ok(run)
    }

    /// Every rule of one of the user's models, in enforcement order (read page by page).
    pub async fn all_rules(&self, model: ModelId) -> Result<Vec<Rule>> {
        let mut all = Vec::new();
        let mut page = PageRequest::max();
        loop {
            let rules = self.store.rules().list(self.user.id, model, page).await?;
            all.extend(rules.items);
            match rules.next_after {
                Some(after) => page.after = Some(after),
                None => return Ok(all),
            }
        }
    }

    /// `model#number` of a run.
    pub fn label(run: &Run) -> String {
        format!("{}#{}", run.snapshot.model_name, run.number)
    }
}
