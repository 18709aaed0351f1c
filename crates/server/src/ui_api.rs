//! The dashboard's own JSON endpoints, under `/api/v1/ui/...`: the aggregations of
//! [`crate::ui_model`] (a Prime's history across epochs, per-Prime totals, today's statuses,
//! findings with the records they are about, and the engine state sampled over time), each in
//! one request so a page draws from one answer.
//!
//! Contract: registered through `utoipa_axum::routes!` like every API route (so the OpenAPI
//! document lists them); read-only; parameters validated first (400 naming the parameter, an
//! unknown parameter refused); answers cached per Synome head like the rest of the API. The
//! engine-state series come from [`AppState::history`] (samples per epoch); everything else from
//! the Synome's records. Amounts are exact decimal strings with the unit in the field name.

use crate::codec::{self, query_map};
use crate::epochs;
use crate::error::{ApiError, ErrorBody};
use crate::state::{AppState, BoxStore};
use crate::ui_model::{self, Index};
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use laniakea_synome::{Query, Synome};
use serde_json::Value;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type St = State<Arc<AppState>>;

/// The dashboard endpoints, merged into the API router by `api::api_router`.
pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(overview))
        .routes(routes!(primes))
        .routes(routes!(prime))
        .routes(routes!(generator))
        .routes(routes!(srusds))
        .routes(routes!(migration))
        .routes(routes!(findings))
}

fn index(syn: &mut Synome<BoxStore>) -> Result<Index, ApiError> {
    Ok(Index::new(epochs::all(syn, Query::default())?))
}

/// A cached JSON answer computed from the Synome (and the state's history).
async fn answer(
    st: Arc<AppState>,
    key: String,
    f: impl FnOnce(&AppState, &mut Synome<BoxStore>) -> Result<Value, ApiError> + Send + 'static,
) -> Result<Response, ApiError> {
    let body = st
        .cached(format!("ui/{key}"), move |s, syn| {
            serde_json::to_vec(&f(s, syn)?)
                .map_err(|e| ApiError::internal(format!("cannot encode: {e}")))
        })
        .await?;
    let mut r = (StatusCode::OK, Body::from(body)).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(r)
}

/// The overview page: the as-of time and where it falls (Active / Processing window), the
/// current epoch (the next Moment of Settlement) and the seconds to it, today's statuses per
/// Prime and the checker's verdict, recent epochs' obligations and payments, run totals.
#[utoipa::path(get, path = "/api/v1/ui/overview", tag = "dashboard",
    responses((status = 200, description = "`{now, now_source, window, current_epoch, current_epoch_seq, next_settlement_at, seconds_to_settlement, second_of_day, today: {epoch, skip, primes, verification}, recent, totals}`", body = Object),
              (status = 400, description = "A bad parameter (named)", body = ErrorBody),
              (status = 503, description = "The Synome is empty: no calendar", body = ErrorBody)))]
async fn overview(State(st): St, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    query_map(q.as_deref(), &[])?;
    answer(st, "overview".into(), |s, syn| {
        let as_of = s.as_of(syn)?;
        let cal = epochs::calendar(s, syn)?;
        let primes = epochs::primes(s, syn)?;
        let source = if s.chain.is_some() {
            "chain"
        } else {
            "newest record"
        };
        ui_model::overview(&index(syn)?, &cal, &primes, as_of, source)
            .map_err(|e| ApiError::internal(format!("calendar: {e}")))
    })
    .await
}

/// The Primes table: per Prime, where its debt sits now, its latest obligation and timeliness,
/// and its totals paid, penalised and forgiven.
#[utoipa::path(get, path = "/api/v1/ui/primes", tag = "dashboard",
    responses((status = 200, description = "`{primes: [{prime, latest_epoch, debt_legacy_wad, debt_vault_wad, debt_source, last_total_wad, last_direction, last_timeliness, paid_wad, penalties_wad, forgiven_wad}]}`", body = Object),
              (status = 400, description = "A bad parameter (named)", body = ErrorBody)))]
async fn primes(State(st): St, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    query_map(q.as_deref(), &[])?;
    answer(st, "primes".into(), |s, syn| {
        let primes = epochs::primes(s, syn)?;
        Ok(ui_model::primes(&index(syn)?, &s.history, &primes))
    })
    .await
}

/// One Prime across epochs: obligation, receipts, debt location (legacy ilk vs vault),
/// penalties and forgiveness per epoch, and every penalty and receipt with its record.
#[utoipa::path(get, path = "/api/v1/ui/primes/{prime}", tag = "dashboard",
    params(("prime" = String, Path, description = "the Prime's name, e.g. `spark`")),
    responses((status = 200, description = "`{prime, epochs: [...], penalties: [...], receipts: [...], totals}`", body = Object),
              (status = 400, description = "A bad parameter (named)", body = ErrorBody),
              (status = 404, description = "Nothing is known about this Prime (`api/unknown-prime`)", body = ErrorBody)))]
async fn prime(
    State(st): St,
    Path(prime): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    query_map(q.as_deref(), &[])?;
    let p = codec::prime_param("prime", &prime)?;
    answer(st, format!("prime/{p}"), move |s, syn| {
        let as_of = s.as_of(syn)?;
        ui_model::prime(&index(syn)?, &s.history, &p, as_of).ok_or_else(|| {
            ApiError::not_found(
                "api/unknown-prime",
                format!("no record and no chain state names Prime '{p}'"),
            )
        })
    })
    .await
}

/// The Generator book at each sample of the engine state (one per epoch): total assets,
/// Generator ilk debt, Prime-vault shares, idle USDS, receivables, surplus and shortfall.
#[utoipa::path(get, path = "/api/v1/ui/generator", tag = "dashboard",
    responses((status = 200, description = "`{latest, points: [{epoch, at, total_assets_wad, ilk_debt_wad, vault_shares_value_wad, idle_usds_wad, receivables_wad, surplus_wad, shortfall_wad}]}`", body = Object),
              (status = 400, description = "A bad parameter (named)", body = ErrorBody)))]
async fn generator(State(st): St, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    query_map(q.as_deref(), &[])?;
    answer(st, "generator".into(), |s, _| {
        Ok(ui_model::generator(&s.history))
    })
    .await
}

/// srUSDS over time: exchange rate, Holding System sUSDS, supply and value, backing ratio,
/// what waits in each queue, and every `lcts-settlement` record.
#[utoipa::path(get, path = "/api/v1/ui/srusds", tag = "dashboard",
    responses((status = 200, description = "`{latest, points: [{epoch, at, exchange_rate_wad, holding_susds_wad, srusds_supply_wad, srusds_value_susds_wad, backing_ratio_wad, subscribe_waiting_wad, redeem_waiting_wad}], settlements: [{record, epoch, settled_at, fallback_used, rate_before_wad, rate_after_wad, subscribe_converted_susds_wad, subscribe_output_srusds_wad, redeem_converted_srusds_wad, redeem_output_susds_wad}]}`", body = Object),
              (status = 400, description = "A bad parameter (named)", body = ErrorBody)))]
async fn srusds(State(st): St, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    query_map(q.as_deref(), &[])?;
    answer(st, "srusds".into(), |s, syn| {
        Ok(ui_model::srusds(&index(syn)?, &s.history))
    })
    .await
}

/// Migration progress: per Prime its plan, where its debt sits now and its migration status;
/// every migration step; the temporary compatibility set.
#[utoipa::path(get, path = "/api/v1/ui/migration", tag = "dashboard",
    responses((status = 200, description = "`{primes: [{prime, legacy_ilk, plan, cutover_epoch, planned_wad, debt_legacy_wad, debt_vault_wad, debt_source, status}], completed, steps, compatibility_set}`", body = Object),
              (status = 400, description = "A bad parameter (named)", body = ErrorBody)))]
async fn migration(State(st): St, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    query_map(q.as_deref(), &[])?;
    answer(st, "migration".into(), |s, syn| {
        let primes = epochs::primes(s, syn)?;
        Ok(ui_model::migration(&index(syn)?, &s.history, &primes))
    })
    .await
}

/// Every verification report in epoch order; each finding with the ids of the records it is
/// about (the subject Prime's statement, receipts or penalty events of the epoch; the epoch's
/// skip record).
#[utoipa::path(get, path = "/api/v1/ui/findings", tag = "dashboard",
    responses((status = 200, description = "`{reports: [{record, epoch, created_at, ok, flagged, findings: [{check, status, subject, detail, records}]}], ok, flagged}`", body = Object),
              (status = 400, description = "A bad parameter (named)", body = ErrorBody)))]
async fn findings(State(st): St, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    query_map(q.as_deref(), &[])?;
    answer(st, "findings".into(), |_, syn| {
        Ok(ui_model::findings(&index(syn)?))
    })
    .await
}
