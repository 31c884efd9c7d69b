//! A real server on an ephemeral port over a fresh store (SQLite, or PostgreSQL when
//! `TRADELAB_TEST_POSTGRES_URL` is set), and clients that sign in to it.
#![allow(dead_code)]

#[path = "../../../store/tests/common/mod.rs"]
pub mod db;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tradelab_runner::Runner;
use tradelab_server::{AppState, ServerConfig};
use tradelab_store::{NewUser, Role};

/// A server running for one test; shut down when dropped.
pub struct TestServer {
    pub base: String,
    pub state: AppState,
    pub db: db::TestDb,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    serving: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    /// A server over `db` with the built-in strategies.
    pub async fn start(db: db::TestDb) -> TestServer {
        TestServer::start_with(db, |_| {}).await
    }

    /// A server over `db`, its settings changed by `tune`.
    pub async fn start_with(db: db::TestDb, tune: impl FnOnce(&mut ServerConfig)) -> TestServer {
        TestServer::start_full(db, tune, Runner::new).await
    }

    /// A server over `db` whose runner is made by `runner` (to add test deciders).
    pub async fn start_full(
        db: db::TestDb,
        tune: impl FnOnce(&mut ServerConfig),
        runner: impl FnOnce(tradelab_store::Store) -> Runner,
    ) -> TestServer {
        let store_cfg = db.config();
        let mut config = ServerConfig {
            bind: "127.0.0.1:0".parse().expect("address"),
            data_dir: Some(store_cfg.data_dir.clone()),
            database_url: store_cfg.database_url.clone(),
            workers: Some(2),
            sample_data: false,
            ..ServerConfig::default()
        };
        tune(&mut config);
        let bound = tradelab_server::bind(config, runner)
            .await
            .expect("server binds");
        let base = format!("http://{}", bound.addr);
        let state = bound.state.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(async move {
            bound
                .serve(async move {
                    let _ = rx.await;
                })
                .await
                .expect("server runs");
        });
        TestServer {
            base,
            state,
            db,
            shutdown: Some(tx),
            serving: Some(serving),
        }
    }

    /// The URL of an API path (`/models` → `http://…/api/v1/models`).
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    /// Shuts the server down and waits for it (running runs are stopped and marked).
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.serving.take() {
            s.await.expect("server task");
        }
    }

    /// Registers `email` and logs in with a bearer token.
    pub async fn user(&self, email: &str) -> Client {
        let http = reqwest::Client::new();
        let r = http
            .post(self.api("/auth/register"))
            .json(&json!({"email": email, "password": "correct horse battery"}))
            .send()
            .await
            .expect("register");
        assert_eq!(r.status(), StatusCode::CREATED, "register {email}");
        self.login(email, "correct horse battery").await
    }

    /// Logs in with a bearer token.
    pub async fn login(&self, email: &str, password: &str) -> Client {
        let http = reqwest::Client::new();
        let r = http
            .post(self.api("/auth/login"))
            .json(&json!({"email": email, "password": password, "token": true}))
            .send()
            .await
            .expect("login");
        assert_eq!(r.status(), StatusCode::OK, "login {email}");
        let body: Value = r.json().await.expect("login body");
        let token = body["token"].as_str().expect("a token").to_string();
        Client {
            http,
            base: format!("{}/api/v1", self.base),
            token: Some(token),
        }
    }

    /// An admin account (made in the store, as `tradelab users create --admin` does),
    /// logged in.
    pub async fn admin(&self, email: &str) -> Client {
        let hash = tradelab_server::auth::password::hash("correct horse battery".into())
            .await
            .expect("hash");
        self.state
            .store
            .users()
            .create(&NewUser {
                email: email.into(),
                password_hash: hash,
                role: Role::Admin,
                display_name: "Admin".into(),
            })
            .await
            .expect("admin");
        self.login(email, "correct horse battery").await
    }

    /// A client without credentials.
    pub fn anonymous(&self) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: format!("{}/api/v1", self.base),
            token: None,
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A client of the API acting as one user.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
}

impl Client {
    fn with_auth(&self, r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self
            .with_auth(self.http.get(self.url(path)))
            .send()
            .await
            .expect("request");
        answer(r).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .with_auth(self.http.post(self.url(path)))
            .json(&body)
            .send()
            .await
            .expect("request");
        answer(r).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .with_auth(self.http.put(self.url(path)))
            .json(&body)
            .send()
            .await
            .expect("request");
        answer(r).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .with_auth(self.http.patch(self.url(path)))
            .json(&body)
            .send()
            .await
            .expect("request");
        answer(r).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        let r = self
            .with_auth(self.http.delete(self.url(path)))
            .send()
            .await
            .expect("request");
        answer(r).await
    }

    /// A request of any shape, with this client's credentials.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.with_auth(self.http.request(method, self.url(path)))
    }
}

/// The status and JSON body (`null` when empty or not JSON).
pub async fn answer(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The same test against a server on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! server_test {
    ($(#[$attr:meta])* $name:ident, |$srv:ident| $body:block) => {
        #[allow(unused_attributes)]
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(#[$attr])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $srv = $crate::common::TestServer::start($crate::common::db::sqlite().await).await;
                $body
            }

            $(#[$attr])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(tradelab_no_pg, ignore = "set TRADELAB_TEST_POSTGRES_URL to run the PostgreSQL tests")]
            async fn postgres() {
                let $srv = $crate::common::TestServer::start($crate::common::db::postgres().await).await;
                $body
            }
        }
    };
}
