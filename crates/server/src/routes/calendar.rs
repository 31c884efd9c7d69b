//! The exchange calendar: an exchange's trading days and their sessions over a range of
//! dates (`tradelab-calendar`), for clients that schedule around the market.

use super::query::Query;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::openapi as doc;
use axum::Json;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tradelab_calendar::{Calendar, Exchange, Session, TradingDay};

/// The longest range one request may ask for, in days (three years).
pub const MAX_RANGE_DAYS: i32 = 3 * 366;

/// Which exchange and which dates.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// `nyse` (default; `nasdaq` is the same calendar) or `crypto`.
    pub exchange: Option<String>,
    /// First date, YYYY-MM-DD, on the exchange's clock (default: today there).
    pub from: Option<String>,
    /// Last date, YYYY-MM-DD, included (default: 30 days after `from`); at most three
    /// years after `from`.
    pub to: Option<String>,
}

/// A session's exchange-local times, `HH:MM` (a crypto day closes at `24:00`).
#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionTimes {
    pub open: String,
    pub close: String,
}

/// A trading day with its sessions in exchange-local time; crypto has no `pre` or
/// `after`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CalendarDay {
    /// The date, YYYY-MM-DD.
    pub date: String,
    pub regular: SessionTimes,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre: Option<SessionTimes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<SessionTimes>,
}

fn times(s: &Session) -> SessionTimes {
    SessionTimes {
        open: s.open_local.to_string(),
        close: s.close_local.to_string(),
    }
}

impl From<&TradingDay> for CalendarDay {
    fn from(day: &TradingDay) -> CalendarDay {
        CalendarDay {
            date: day.date.to_string(),
            regular: times(&day.regular),
            pre: day.pre.as_ref().map(times),
            after: day.after.as_ref().map(times),
        }
    }
}

fn date_param(field: &str, text: &str) -> Result<Date, ApiError> {
    text.trim().parse::<Date>().map_err(|e| {
        ApiError::invalid(
            field,
            format!("{field} {text:?} is not a date YYYY-MM-DD: {e}"),
        )
    })
}

/// `GET /api/v1/calendar`: the exchange's trading days from `from` to `to`, one object
/// per day with its pre-market, regular and after-hours sessions (exchange-local times).
#[utoipa::path(
    get,
    path = "/api/v1/calendar",
    tag = "calendar",
    params(CalendarQuery),
    responses(
        (status = 200, description = "The trading days of the range, in date order", body = Vec<CalendarDay>),
        (status = 400, response = doc::BadInput),
        (status = 401, response = doc::Unauthorized),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn calendar(
    _caller: Caller,
    Query(q): Query<CalendarQuery>,
) -> ApiResult<Json<Vec<CalendarDay>>> {
    let exchange = match q.exchange.as_deref() {
        None => Exchange::Nyse,
        Some(text) => text
            .parse::<Exchange>()
            .map_err(|e| ApiError::invalid("exchange", e.to_string()))?,
    };
    let calendar = Calendar::new(exchange).map_err(|e| ApiError::internal(e.to_string()))?;
    let from = match q.from.as_deref() {
        Some(text) => date_param("from", text)?,
        None => jiff::Timestamp::now()
            .to_zoned_datetime(calendar.time_zone().clone())
            .date(),
    };
    let to = match q.to.as_deref() {
        Some(text) => date_param("to", text)?,
        None => from
            .checked_add(jiff::Span::new().days(30))
            .map_err(|e| ApiError::invalid("from", format!("from is too late: {e}")))?,
    };
    if from > to {
        return Err(ApiError::invalid(
            "to",
            format!("to {to} is before from {from}"),
        ));
    }
    let span = from.until(to).map(|s| s.get_days()).unwrap_or(i32::MAX);
    if span > MAX_RANGE_DAYS {
        return Err(ApiError::invalid(
            "to",
            format!("from {from} to {to} spans {span} days; ask for at most {MAX_RANGE_DAYS}"),
        ));
    }
    let days = calendar
        .trading_days(from, to)
        .map_err(|e| ApiError::invalid("from", e.to_string()))?;
    Ok(Json(days.iter().map(CalendarDay::from).collect()))
}
