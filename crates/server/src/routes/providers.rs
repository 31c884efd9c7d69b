//! The market-data providers the server uses: each chain's providers with their live
//! circuit-breaker states, and each provider's key variables (set or not, never their
//! values).

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::openapi as doc;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use tradelab_providers::AssetClass;

/// A provider's place in a chain and its breaker there.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ChainProviderView {
    pub name: String,
    /// The vendor: `alpaca`, `polygon`, `yahoo` or `binance`.
    pub kind: String,
    /// The circuit breaker: `closed` (asked), `open` (skipped until `open_until`) or
    /// `half-open` (one probe request goes through).
    pub state: String,
    /// Outage failures (timeouts, 5xx, rate limits, bad payloads) since the last answer.
    pub consecutive_failures: u32,
    /// The last outage failure (admins only; `null` for other users).
    pub last_error: Option<String>,
    /// When an open breaker lets a probe through (RFC 3339 UTC).
    pub open_until: Option<String>,
}

/// One chain: the providers asked, in order, for symbols of its asset class.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ChainView {
    /// `stock` or `crypto`.
    pub class: String,
    pub providers: Vec<ChainProviderView>,
}

/// An environment variable a provider reads its key from.
#[derive(Serialize, utoipa::ToSchema)]
pub struct KeyVarView {
    /// The variable's name.
    pub name: String,
    /// Whether it is set (its value is never shown).
    pub set: bool,
    /// Whether the provider needs it.
    pub required: bool,
}

/// A configured provider.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProviderView {
    pub name: String,
    pub kind: String,
    /// The chains it is in (`stock`, `crypto`).
    pub chains: Vec<String>,
    pub keys: Vec<KeyVarView>,
    /// Whether every required key variable is set.
    pub configured: bool,
}

/// The server's providers and chains.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProvidersView {
    pub chains: Vec<ChainView>,
    pub providers: Vec<ProviderView>,
}

/// `GET /api/v1/data/providers`: the market-data chains with their breakers' live
/// states, and every configured provider with its key variables (set or not).
#[utoipa::path(
    get,
    path = "/api/v1/data/providers",
    tag = "data",
    responses(
        (status = 200, description = "The chains and providers", body = ProvidersView),
        (status = 401, response = doc::Unauthorized),
    )
)]
pub async fn providers(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ProvidersView>> {
    let admin = caller.is_admin();
    let chains = state
        .providers
        .all()
        .into_iter()
        .map(|(class, chain)| ChainView {
            class: class.name().to_string(),
            providers: chain
                .statuses()
                .into_iter()
                .map(|s| ChainProviderView {
                    name: s.name,
                    kind: s.kind,
                    state: s.state.name().to_string(),
                    consecutive_failures: s.consecutive_failures,
                    last_error: s.last_error.filter(|_| admin),
                    open_until: s.open_until.map(|t| t.to_string()),
                })
                .collect(),
        })
        .collect();
    let config = state.config.providers_config();
    let providers = config
        .effective()
        .into_iter()
        .map(|(name, settings)| {
            let keys: Vec<KeyVarView> = settings
                .key_status()
                .into_iter()
                .map(|k| KeyVarView {
                    name: k.name,
                    set: k.set,
                    required: k.required,
                })
                .collect();
            ProviderView {
                chains: config
                    .chains_of(&name)
                    .into_iter()
                    .map(|c: AssetClass| c.name().to_string())
                    .collect(),
                configured: keys.iter().all(|k| k.set || !k.required),
                keys,
                kind: settings.kind.name().to_string(),
                name,
            }
        })
        .collect();
    Ok(Json(ProvidersView { chains, providers }))
}
