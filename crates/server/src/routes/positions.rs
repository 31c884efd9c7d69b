//! A run's positions, as its fills leave them: net quantity per symbol, the side, the
//! average entry price (of the open part, as a broker reports it) and the last fill.

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::openapi as doc;
use crate::state::AppState;
use crate::views::rfc3339;
use axum::Json;
use axum::extract::{Path, State};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use tradelab_core::{Fill, Side, Timestamp};

/// An open position, named as Alpaca names a position's fields.
#[derive(Serialize, Debug, PartialEq, utoipa::ToSchema)]
pub struct PositionView {
    pub symbol: String,
    /// `long` or `short`.
    pub side: String,
    /// Units held, positive (decimal string).
    pub qty: String,
    /// Average price of the units held (decimal string).
    pub avg_entry_price: String,
    /// Cost of the units held at that price (decimal string).
    pub cost_basis: String,
    /// Time of the position's last fill.
    pub last_fill_at: String,
}

#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct PositionsView {
    /// Positions open after the run's stored fills (all of them once it ended).
    pub positions: Vec<PositionView>,
}

/// Net signed quantity and average entry price per symbol after `fills`, in order.
pub fn positions(fills: &[Fill]) -> Vec<PositionView> {
    struct Held {
        qty: Decimal,
        avg: Decimal,
        last: Timestamp,
    }
    let mut held: BTreeMap<String, Held> = BTreeMap::new();
    for f in fills {
        let signed = match f.side {
            Side::Buy => f.qty.get(),
            Side::Sell => -f.qty.get(),
        };
        let price = f.price.get();
        let h = held.entry(f.symbol.to_string()).or_insert(Held {
            qty: Decimal::ZERO,
            avg: Decimal::ZERO,
            last: f.ts,
        });
        let after = h.qty + signed;
        if h.qty.is_zero() || h.qty.is_sign_positive() == signed.is_sign_positive() {
            // Opening or adding: the average moves to include the new units.
            let total = h.qty.abs() + signed.abs();
            h.avg = (h.avg * h.qty.abs() + price * signed.abs()) / total;
        } else if !after.is_zero() && after.is_sign_positive() != h.qty.is_sign_positive() {
            // Reversing: what is left was opened at this fill's price.
            h.avg = price;
        }
        h.qty = after;
        h.last = f.ts;
        if h.qty.is_zero() {
            h.avg = Decimal::ZERO;
        }
    }
    held.into_iter()
        .filter(|(_, h)| !h.qty.is_zero())
        .map(|(symbol, h)| PositionView {
            symbol,
            side: if h.qty.is_sign_positive() {
                "long"
            } else {
                "short"
            }
            .to_string(),
            qty: h.qty.abs().normalize().to_string(),
            avg_entry_price: h.avg.round_dp(10).normalize().to_string(),
            cost_basis: (h.avg * h.qty.abs()).round_dp(2).normalize().to_string(),
            last_fill_at: rfc3339(h.last),
        })
        .collect()
}

/// The positions a run's fills leave open.
///
/// While the run goes on: as of its last committed step.
#[utoipa::path(
    get,
    path = "/api/v1/runs/{id}/positions",
    tag = "run trail",
    params(("id" = i64, Path, description = "The run's id", minimum = 1)),
    responses(
        (status = 200, description = "The open positions, by symbol", body = PositionsView),
        (status = 400, response = doc::BadInput),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
    )
)]
pub async fn positions_of_run(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<PositionsView>> {
    let run = super::run_audit::run_of(&state, &caller, &id).await?;
    let fills = state.store.audit().fills(caller.id(), run).await?;
    Ok(Json(PositionsView {
        positions: positions(&fills),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradelab_core::{Money, OrderId, Price, Quantity, Symbol};

    fn fill(side: Side, qty: &str, price: &str, t: i64) -> Fill {
        Fill {
            order_id: OrderId(1),
            ts: Timestamp::from_secs(t),
            symbol: Symbol::new("ACME").expect("symbol"),
            side,
            qty: qty.parse::<Quantity>().expect("qty"),
            price: price.parse::<Price>().expect("price"),
            commission: Money::ZERO,
            slippage: Money::ZERO,
        }
    }

    #[test]
    fn averages_the_entries_of_what_is_held_and_forgets_closed_positions() {
        let fills = [
            fill(Side::Buy, "10", "100", 1),
            fill(Side::Buy, "10", "110", 2),
            fill(Side::Sell, "5", "120", 3),
        ];
        let p = positions(&fills);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].side, "long");
        assert_eq!(p[0].qty, "15");
        assert_eq!(p[0].avg_entry_price, "105");
        assert_eq!(p[0].cost_basis, "1575");
        let closed = [
            fill(Side::Buy, "3", "10", 1),
            fill(Side::Sell, "3", "12", 2),
        ];
        assert!(positions(&closed).is_empty());
    }

    #[test]
    fn a_reversal_is_held_at_the_reversing_fills_price() {
        let fills = [
            fill(Side::Buy, "4", "50", 1),
            fill(Side::Sell, "10", "55", 2),
        ];
        let p = positions(&fills);
        assert_eq!(p[0].side, "short");
        assert_eq!(p[0].qty, "6");
        assert_eq!(p[0].avg_entry_price, "55");
        assert_eq!(p[0].last_fill_at, "1970-01-01T00:00:02Z");
    }
}
