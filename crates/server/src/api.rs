//! The HTTP routes under `/api/v1`: handlers, their OpenAPI descriptions, and the router.
//!
//! Contract: every API route is registered through `utoipa_axum::routes!` in [`api_router`],
//! so the route and its OpenAPI path come from the same handler definition and cannot drift
//! (`tests/openapi.rs` checks both directions). Handlers parse and validate every parameter
//! first (400 naming it; unknown parameters are refused), then run the Synome work on the
//! blocking pool. Read responses are cached per Synome head (see `state`). `/` and `/ui/*`
//! are reserved for the dashboard, served by the same process.

use crate::codec::{self, query_map};
use crate::engine;
use crate::epochs;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use http_body_util::BodyExt;
use laniakea_synome::{Appended, Kind, Query};
use serde_json::{json, Value};
use std::sync::{Arc, LazyLock};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type St = State<Arc<AppState>>;

/// The one path parameter of a route; a segment that cannot be decoded (bad percent-encoding,
/// not UTF-8) is a 400 `api/bad-param` JSON error like every other bad parameter.
struct PathParam(String);

impl<S: Send + Sync> FromRequestParts<S> for PathParam {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(s)) => Ok(PathParam(s)),
            Err(e) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "api/bad-param",
                format!("invalid path parameter: {}", e.body_text()),
            )),
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "laniakea API",
        description = "The Synome and the engine state of a laniakea run: epochs and their status, statements, receipts, penalties and forgiveness, checker findings, Prime reports, the Generator book, vaults, rate limits, timelock queues, LCTS queues and the srUSDS rate history, migration status, records, verification, and signed-record intake. Amounts are exact decimal strings; the unit is in the field name (`*_wad`: 18 decimals, `*_apr`: annual rate as a decimal). Times are Unix seconds (UTC). Errors are `{\"error\": {\"code\", \"message\", \"retryable\"}}` with stable codes (docs/api.md).",
        license(name = "AGPL-3.0-or-later")
    ),
    tags(
        (name = "meta", description = "Health and the API description"),
        (name = "epochs", description = "The settlement timeline, per-epoch artifacts"),
        (name = "records", description = "Synome records: listing, lookup, history, verification, intake"),
        (name = "engine", description = "Engine state read through the chain seam"),
        (name = "dashboard", description = "Aggregations the web dashboard draws from, one request per page (`ui_api`)")
    )
)]
struct ApiDoc;

/// The API routes with their OpenAPI description.
pub fn api_router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health))
        .routes(routes!(openapi_json))
        .routes(routes!(list_epochs))
        .routes(routes!(epoch_detail))
        .routes(routes!(epoch_statements))
        .routes(routes!(epoch_receipts))
        .routes(routes!(epoch_findings))
        .routes(routes!(epoch_prime_reports))
        .routes(routes!(penalties))
        .routes(routes!(list_records, post_records))
        .routes(routes!(get_record))
        .routes(routes!(subject_history))
        .routes(routes!(verify))
        .routes(routes!(generator_book))
        .routes(routes!(vaults))
        .routes(routes!(rate_limits))
        .routes(routes!(configurators))
        .routes(routes!(timelock))
        .routes(routes!(lcts))
        .routes(routes!(migration))
        .merge(crate::ui_api::routes())
}

/// The OpenAPI 3.1 document, generated from the handlers and types.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_router().split_for_parts().1
}

static OPENAPI_JSON: LazyLock<axum::body::Bytes> = LazyLock::new(|| {
    serde_json::to_vec_pretty(&openapi())
        .unwrap_or_default()
        .into()
});

/// The whole application: the API, its fallbacks, and the reserved dashboard paths.
pub fn router(state: Arc<AppState>) -> Router {
    let (api, _) = api_router().split_for_parts();
    api.merge(crate::ui::router())
        .fallback(no_such_route)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

async fn no_such_route(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(
        "api/no-such-route",
        format!(
            "no route {} (see /api/v1/openapi.json)",
            codec::truncate(uri.path())
        ),
    )
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "api/method-not-allowed",
        format!("{method} is not allowed on {}", codec::truncate(uri.path())),
    )
}

fn json_response(status: StatusCode, body: axum::body::Bytes) -> Response {
    let mut r = (status, Body::from(body)).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn to_bytes(v: &Value) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(v).map_err(|e| ApiError::internal(format!("cannot encode: {e}")))
}

/// A cached read: `key` names the request (path + normalised query).
async fn read(
    st: Arc<AppState>,
    key: String,
    f: impl FnOnce(
            &AppState,
            &mut laniakea_synome::Synome<crate::state::BoxStore>,
        ) -> Result<Value, ApiError>
        + Send
        + 'static,
) -> Result<Response, ApiError> {
    let body = st.cached(key, move |s, syn| to_bytes(&f(s, syn)?)).await?;
    Ok(json_response(StatusCode::OK, body))
}

fn key(path: &str, q: &std::collections::BTreeMap<String, String>) -> String {
    let mut k = path.to_string();
    for (a, b) in q {
        k.push_str(&format!("&{a}={b}"));
    }
    k
}

// ---- meta ---------------------------------------------------------------------------------

/// Liveness and what the server serves: the Synome's id, record count and head, and the chain's
/// block time and event count.
#[utoipa::path(get, path = "/api/v1/health", tag = "meta",
    responses((status = 200, description = "The server is up", content_type = "application/json", body = Object),
              (status = 503, description = "The store cannot be read", body = ErrorBody)))]
async fn health(State(st): St, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    query_map(q.as_deref(), &[])?;
    let events = st.deployment.events;
    let chain = st
        .chain
        .as_ref()
        .map(|c| json!({"block_time": c.now(), "events": events}));
    st.synome(move |_, syn| {
        let head = syn.store().head()?;
        let auth = syn.auth()?;
        let v = json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "store": syn.store().describe(),
            "synome": auth.synome,
            "demo": auth.is_demo(),
            "records": syn.store().count()?,
            "head": head.map(|(seq, id)| json!({"seq": seq, "id": id})),
            "chain": chain,
        });
        Ok(json_response(StatusCode::OK, to_bytes(&v)?.into()))
    })
    .await
}

/// This document: OpenAPI 3.1, generated from the handler and type definitions.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object)))]
async fn openapi_json() -> Response {
    json_response(StatusCode::OK, OPENAPI_JSON.clone())
}

// ---- epochs -------------------------------------------------------------------------------

fn epoch_path(e: &str) -> Result<laniakea_settlement::EpochId, ApiError> {
    codec::epoch_param("epoch", e)
}

/// The epoch timeline: every epoch from the deployment's first to the latest (or `from`..`to`),
/// each with its window, status and the count of its artifacts.
#[utoipa::path(get, path = "/api/v1/epochs", tag = "epochs",
    params(("from" = Option<String>, Query, description = "first epoch listed (YYYY-MM-DD)"),
           ("to" = Option<String>, Query, description = "last epoch listed (YYYY-MM-DD)"),
           ("at" = Option<String>, Query, description = "judge the status at this time (Unix seconds or RFC 3339 UTC); default: the chain's block time, else the newest record's")),
    responses((status = 200, description = "The timeline: `{as_of, first_epoch, epochs: [EpochSummary], truncated}`", body = Object),
              (status = 400, description = "A bad parameter (named)", body = ErrorBody)))]
async fn list_epochs(State(st): St, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let q = query_map(q.as_deref(), &["from", "to", "at"])?;
    let from = q
        .get("from")
        .map(|v| codec::epoch_param("from", v))
        .transpose()?;
    let to = q
        .get("to")
        .map(|v| codec::epoch_param("to", v))
        .transpose()?;
    let at = q
        .get("at")
        .map(|v| codec::time_param("at", v))
        .transpose()?;
    read(st, key("epochs", &q), move |s, syn| {
        let as_of = match at {
            Some(t) => t,
            None => s.as_of(syn)?,
        };
        epochs::list(s, syn, from, to, as_of)
    })
    .await
}

/// One epoch: its window, status, artifact counts, the checker's verdict, and the runbook's
/// steps (owner, deadline, status, evidence).
#[utoipa::path(get, path = "/api/v1/epochs/{epoch}", tag = "epochs",
    params(("epoch" = String, Path, description = "epoch id YYYY-MM-DD"),
           ("at" = Option<String>, Query, description = "judge the status at this time (Unix seconds or RFC 3339 UTC)")),
    responses((status = 200, description = "EpochSummary plus `primes` and `steps`", body = epochs::EpochSummary),
              (status = 400, description = "A bad parameter (named)", body = ErrorBody),
              (status = 404, description = "No such epoch in this deployment (`api/unknown-epoch`)", body = ErrorBody)))]
async fn epoch_detail(
    State(st): St,
    PathParam(epoch): PathParam,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let e = epoch_path(&epoch)?;
    let q = query_map(q.as_deref(), &["at"])?;
    let at = q
        .get("at")
        .map(|v| codec::time_param("at", v))
        .transpose()?;
    read(st, key(&format!("epoch/{e}"), &q), move |s, syn| {
        let as_of = match at {
            Some(t) => t,
            None => s.as_of(syn)?,
        };
        epochs::detail(s, syn, e, as_of)
    })
    .await
}

fn prime_filter(
    q: &std::collections::BTreeMap<String, String>,
) -> Result<Option<String>, ApiError> {
    q.get("prime")
        .map(|v| codec::prime_param("prime", v))
        .transpose()
}

/// The epoch's settlement statements: each Prime's full statement (as `laniakea settle --json`
/// prints it) with its record id.
#[utoipa::path(get, path = "/api/v1/epochs/{epoch}/statements", tag = "epochs",
    params(("epoch" = String, Path, description = "epoch id YYYY-MM-DD"),
           ("prime" = Option<String>, Query, description = "only this Prime")),
    responses((status = 200, description = "`{epoch, statements: [...]}`", body = Object),
              (status = 400, description = "A bad parameter (named)", body = ErrorBody),
              (status = 404, description = "No such epoch", body = ErrorBody)))]
async fn epoch_statements(
    State(st): St,
    PathParam(epoch): PathParam,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let e = epoch_path(&epoch)?;
    let q = query_map(q.as_deref(), &["prime"])?;
    let prime = prime_filter(&q)?;
    read(st, key(&format!("statements/{e}"), &q), move |s, syn| {
        epochs::statements(s, syn, e, prime.as_deref())
    })
    .await
}

/// The epoch's payment receipts (payment, amount, time, obligation matched).
#[utoipa::path(get, path = "/api/v1/epochs/{epoch}/receipts", tag = "epochs",
    params(("epoch" = String, Path, description = "epoch id YYYY-MM-DD"),
           ("prime" = Option<String>, Query, description = "only this Prime")),
    responses((status = 200, description = "`{epoch, receipts: [...]}`", body = Object),
              (status = 400, description = "A bad parameter (named)", body = ErrorBody),
              (status = 404, description = "No such epoch", body = ErrorBody)))]
async fn epoch_receipts(
    State(st): St,
    PathParam(epoch): PathParam,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let e = epoch_path(&epoch)?;
    let q = query_map(q.as_deref(), &["prime"])?;
    let prime = prime_filter(&q)?;
    read(st, key(&format!("receipts/{e}"), &q), move |s, syn| {
        epochs::receipts(s, syn, e, prime.as_deref())
    })
    .await
}

/// The lpla-checker's findings for the epoch (`ok`, `late`, `missing`, `mismatch`, …).
#[utoipa::path(get, path = "/api/v1/epochs/{epoch}/findings", tag = "epochs",
    params(("epoch" = String, Path, description = "epoch id YYYY-MM-DD")),
    responses((status = 200, description = "`{epoch, report, created_at, author, findings: [{check, status, subject, detail}]}`", body = Object),
              (status = 400, description = "A bad parameter (named)", body = ErrorBody),
              (status = 404, description = "No such epoch", body = ErrorBody)))]
async fn epoch_findings(
    State(st): St,
    PathParam(epoch): PathParam,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let e = epoch_path(&epoch)?;
    let q = query_map(q.as_deref(), &[])?;
    read(st, key(&format!("findings/{e}"), &q), move |s, syn| {
        epochs::findings(s, syn, e)
    })
    .await
}

/// The lpha-report performance summaries of the epoch, one per Prime.
#[utoipa::path(get, path = "/api/v1/epochs/{epoch}/prime-reports", tag = "epochs",
    params(("epoch" = String, Path, description = "epoch id YYYY-MM-DD"),
           ("prime" = Option<String>, Query, description = "only this Prime")),
    responses((status = 200, description = "`{epoch, prime_reports: [...]}`", body = Object),
              (status = 400, description = "A bad parameter (named)", body = ErrorBody),
              (status = 404, description = "No such epoch", body = ErrorBody)))]
async fn epoch_prime_reports(
    State(st): St,
    PathParam(epoch): PathParam,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let e = epoch_path(&epoch)?;
    let q = query_map(q.as_deref(), &["prime"])?;
    let prime = prime_filter(&q)?;
    read(st, key(&format!("prime-reports/{e}"), &q), move |s, syn| {
        epochs::prime_reports(s, syn, e, prime.as_deref())
    })
    .await
}

/// Penalty events with their forgiveness (forgiven and open amounts), and escalations.
#[utoipa::path(get, path = "/api/v1/penalties", tag = "epochs",
    params(("prime" = Option<String>, Query, description = "only this Prime"),
           ("epoch" = Option<String>, Query, description = "only penalties booked in this epoch")),
    responses((status = 200, description = "`{penalties: [...], escalations: [...]}`", body = Object),
              (status = 400, description = "A bad parameter (named)", body = ErrorBody)))]
async fn penalties(State(st): St, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let q = query_map(q.as_deref(), &["prime", "epoch"])?;
    let prime = prime_filter(&q)?;
    let epoch = q
        .get("epoch")
        .map(|v| codec::epoch_param("epoch", v))
        .transpose()?;
    read(st, key("penalties", &q), move |_, syn| {
        epochs::penalties(syn, epoch, prime.as_deref())
    })
    .await
}

// ---- records ------------------------------------------------------------------------------

/// Default and largest page size of `GET /records`.
pub const PAGE_DEFAULT: usize = 100;
pub const PAGE_MAX: usize = 1000;

/// Records in store order, filtered, one page at a time: pass the response's `next` as
/// `after` to get the following page (`next` is null on the last page).
#[utoipa::path(get, path = "/api/v1/records", tag = "records",
    params(("kind" = Option<String>, Query, description = "record kind, e.g. settlement-statement"),
           ("subject" = Option<String>, Query, description = "generator, global or prime:<id>"),
           ("epoch" = Option<String>, Query, description = "epoch id YYYY-MM-DD"),
           ("from" = Option<String>, Query, description = "created_at ≥ from (Unix seconds or RFC 3339 UTC)"),
           ("to" = Option<String>, Query, description = "created_at < to (Unix seconds or RFC 3339 UTC)"),
           ("after" = Option<u64>, Query, description = "the cursor: the previous page's `next`"),
           ("limit" = Option<u64>, Query, description = "page size, 1–1000 (default 100)")),
    responses((status = 200, description = "`{records: [record], next: cursor|null}`", body = Object),
              (status = 400, description = "A bad parameter (named)", body = ErrorBody)))]
async fn list_records(State(st): St, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let q = query_map(
        q.as_deref(),
        &["kind", "subject", "epoch", "from", "to", "after", "limit"],
    )?;
    let mut query = Query {
        limit: PAGE_DEFAULT,
        ..Query::default()
    };
    if let Some(k) = q.get("kind") {
        query.kind = Some(Kind::parse(k).ok_or_else(|| {
            ApiError::bad_param(
                "kind",
                format!(
                    "'{}' is not a kind (one of {})",
                    codec::truncate(k),
                    Kind::ALL
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?);
    }
    if let Some(s) = q.get("subject") {
        if !laniakea_synome::record::valid_subject(s) {
            return Err(ApiError::bad_param(
                "subject",
                format!(
                    "'{}' is not generator, global or prime:<id>",
                    codec::truncate(s)
                ),
            ));
        }
        query.subject = Some(s.clone());
    }
    query.epoch = q
        .get("epoch")
        .map(|v| codec::epoch_param("epoch", v))
        .transpose()?;
    query.from = q
        .get("from")
        .map(|v| codec::time_param("from", v))
        .transpose()?;
    query.to = q
        .get("to")
        .map(|v| codec::time_param("to", v))
        .transpose()?;
    if let Some(a) = q.get("after") {
        let after = codec::u64_param("after", a)?;
        query.after =
            i64::try_from(after).map_err(|_| ApiError::bad_param("after", "beyond 2^63 − 1"))?;
    }
    if let Some(l) = q.get("limit") {
        let limit = codec::u64_param("limit", l)?;
        if limit == 0 || limit > PAGE_MAX as u64 {
            return Err(ApiError::bad_param(
                "limit",
                format!("{limit} is outside 1–{PAGE_MAX}"),
            ));
        }
        query.limit = limit as usize;
    }
    read(st, key("records", &q), move |_, syn| {
        let (recs, next) = syn.list(&query)?;
        Ok(json!({
            "records": recs.iter().map(|r| r.to_json()).collect::<Vec<_>>(),
            "next": next,
        }))
    })
    .await
}

/// Remote intake: append a signed record (a JSON object, exactly as `synome export` writes
/// it) or a batch (an array, all or none). The same checks as a local write — signature,
/// chains, authorisation, schema, semantic rules — run in the Synome's own append path.
/// Idempotent: a record whose fact is already stored is answered 200 `already-stored` and
/// nothing is stored.
#[utoipa::path(post, path = "/api/v1/records", tag = "records",
    request_body(content = Object, content_type = "application/json", description = "a signed record, or an array of them (≤ 256; body ≤ 64 KiB)"),
    responses((status = 201, description = "Stored: `{outcome: \"stored\", id, seq}` (a batch: `{results: [...]}`)", body = Object),
              (status = 200, description = "Already stored: `{outcome: \"already-stored\", id, submitted}`; nothing stored", body = Object),
              (status = 400, description = "Body not JSON (`api/malformed-json`) or nested too deep (`api/too-deep`)", body = ErrorBody),
              (status = 401, description = "Not authenticated: `synome/bad-signature`, `synome/signer-mismatch`, `synome/id-mismatch`", body = ErrorBody),
              (status = 403, description = "Not authorised: `synome/unknown-signer`, `synome/role-not-held`, `synome/wrong-role`, …", body = ErrorBody),
              (status = 409, description = "Conflicts with the store: `synome/stale-store-head`, `synome/broken-chain` (retryable: re-read the heads and re-sign), `synome/foreign-synome`, `synome/missing-reference`, …", body = ErrorBody),
              (status = 413, description = "Body above 64 KiB (`api/body-too-large`)", body = ErrorBody),
              (status = 415, description = "Content type is not application/json (`api/unsupported-media-type`)", body = ErrorBody),
              (status = 422, description = "Not a valid record: `intake/malformed-record`, `intake/non-canonical`, `synome/invalid-payload`, …", body = ErrorBody),
              (status = 503, description = "Store busy (retryable)", body = ErrorBody)))]
async fn post_records(
    State(st): St,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    query_map(q.as_deref(), &[]).map_err(ApiError::before_body)?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "api/unsupported-media-type",
            format!(
                "content type '{}' is not application/json",
                codec::truncate(ct)
            ),
        )
        .before_body());
    }
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > codec::MAX_BODY_BYTES as u64 {
            return Err(codec::too_large(usize::try_from(len).unwrap_or(usize::MAX)).before_body());
        }
    }
    let bytes = http_body_util::Limited::new(body, codec::MAX_BODY_BYTES)
        .collect()
        .await
        .map_err(|e| {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                codec::too_large(codec::MAX_BODY_BYTES + 1).before_body()
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "api/body-unreadable",
                    format!("cannot read the body: {e}"),
                )
                .before_body()
            }
        })?
        .to_bytes();
    let (records, batch) = codec::parse_body(&bytes)?;
    st.synome(move |_, syn| {
        let outcomes = syn.append_batch(&records)?;
        let mut any_stored = false;
        let results: Vec<Value> = records
            .iter()
            .zip(&outcomes)
            .map(|(r, o)| match o {
                Appended::Stored { seq } => {
                    any_stored = true;
                    json!({"outcome": "stored", "id": r.id, "seq": seq})
                }
                Appended::AlreadyStored { id } => json!({
                    "outcome": "already-stored",
                    "id": id,
                    "submitted": r.id,
                    "message": format!("this fact is already stored as record {id}: nothing stored"),
                }),
            })
            .collect();
        let status = if any_stored {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        let v = if batch {
            json!({ "results": results })
        } else {
            results.into_iter().next().unwrap_or(Value::Null)
        };
        Ok(json_response(status, to_bytes(&v)?.into()))
    })
    .await
}

/// One record by id, in its export form.
#[utoipa::path(get, path = "/api/v1/records/{id}", tag = "records",
    params(("id" = String, Path, description = "record id: 0x + 64 lowercase hex digits")),
    responses((status = 200, description = "The record", body = Object),
              (status = 400, description = "Not a record id", body = ErrorBody),
              (status = 404, description = "No such record (`api/unknown-record`)", body = ErrorBody)))]
async fn get_record(
    State(st): St,
    PathParam(id): PathParam,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let id = codec::hash_param("id", &id)?;
    let q = query_map(q.as_deref(), &[])?;
    read(st, key(&format!("record/{id}"), &q), move |_, syn| {
        syn.get(id)?.map(|r| r.to_json()).ok_or_else(|| {
            ApiError::not_found(
                "api/unknown-record",
                format!("no record {id} in this Synome"),
            )
        })
    })
    .await
}

/// Every record about a subject, oldest first (superseded ones included: the audit trail).
#[utoipa::path(get, path = "/api/v1/subjects/{subject}/history", tag = "records",
    params(("subject" = String, Path, description = "generator, global or prime:<id>")),
    responses((status = 200, description = "`{subject, records: [...]}`", body = Object),
              (status = 400, description = "Not a subject", body = ErrorBody)))]
async fn subject_history(
    State(st): St,
    PathParam(subject): PathParam,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    if !laniakea_synome::record::valid_subject(&subject) {
        return Err(ApiError::bad_param(
            "subject",
            format!(
                "'{}' is not generator, global or prime:<id>",
                codec::truncate(&subject)
            ),
        ));
    }
    let q = query_map(q.as_deref(), &[])?;
    read(st, key(&format!("history/{subject}"), &q), move |_, syn| {
        let recs = syn.history(&subject)?;
        Ok(json!({
            "subject": subject,
            "records": recs.iter().map(|r| r.to_json()).collect::<Vec<_>>(),
        }))
    })
    .await
}

/// Verifies the whole Synome (hashes, signatures, encodings, both chains, authorisation,
/// references, checkpoints) as `laniakea synome verify --json` does; `ok` is false on the
/// first bad record or a missing checkpoint.
#[utoipa::path(get, path = "/api/v1/verify", tag = "records",
    params(("checkpoints" = Option<String>, Query, description = "comma-separated checkpoint ids held outside the store; each must still be in it")),
    responses((status = 200, description = "`{ok, records, synome, demo, head, checkpoints, last_checkpoint, unpinned, missing_anchors, first_bad}`", body = Object),
              (status = 400, description = "A bad parameter (named)", body = ErrorBody)))]
async fn verify(State(st): St, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let q = query_map(q.as_deref(), &["checkpoints"])?;
    let anchors = q
        .get("checkpoints")
        .map(|v| {
            v.split(',')
                .map(|c| codec::hash_param("checkpoints", c))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    read(st, key("verify", &q), move |_, syn| {
        let r = syn.verify(&anchors)?;
        let mut v = serde_json::to_value(&r).unwrap_or(Value::Null);
        if let Some(m) = v.as_object_mut() {
            m.insert("ok".into(), json!(r.is_ok() && r.records > 0));
        }
        Ok(v)
    })
    .await
}

// ---- engine -------------------------------------------------------------------------------

/// An engine read (cached per Synome head like every read: the chain snapshot does not change
/// under a running server).
async fn engine_read(
    st: Arc<AppState>,
    q: Option<String>,
    name: &'static str,
    f: fn(&dyn laniakea_chain::Chain, &crate::deployment::Deployment) -> Result<Value, ApiError>,
) -> Result<Response, ApiError> {
    let q = query_map(q.as_deref(), &[])?;
    st.chain()?;
    read(st, key(name, &q), move |s, _| {
        let chain = s.chain()?;
        f(chain, &s.deployment)
    })
    .await
}

/// The Generator's book (assets, liabilities, surplus or shortfall), where each Prime's debt
/// sits, the temporary compatibility set and the liquidity buffer — as `laniakea book --json`.
#[utoipa::path(get, path = "/api/v1/generator/book", tag = "engine",
    responses((status = 200, description = "`{generator, block_time, book, debt_locations, compatibility_set, liquidity_buffer}`", body = Object),
              (status = 404, description = "No chain (`api/no-chain`) or no Generator registry (`api/not-deployed`)", body = ErrorBody)))]
async fn generator_book(State(st): St, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    engine_read(st, q, "book", engine::book).await
}

/// Every Prime vault's position (idle, drawn, written down, min idle, pause) and the
/// Generator's liquidity buffer.
#[utoipa::path(get, path = "/api/v1/vaults", tag = "engine",
    responses((status = 200, description = "`{block_time, vaults: [{prime, vault, name, position}], liquidity_buffer}`", body = Object),
              (status = 404, description = "No chain (`api/no-chain`)", body = ErrorBody)))]
async fn vaults(State(st): St, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    engine_read(st, q, "vaults", engine::vaults).await
}

/// Every rate-limit entry with its data and current headroom.
#[utoipa::path(get, path = "/api/v1/rate-limits", tag = "engine",
    responses((status = 200, description = "`{now, contracts: [{rate_limits, name, entries: [{key, key_name, configured, unlimited, max_amount_wad, slope_wad_per_s, last_amount_wad, last_updated, headroom_wad}]}]}`", body = Object),
              (status = 404, description = "No chain (`api/no-chain`)", body = ErrorBody)))]
async fn rate_limits(State(st): St, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    engine_read(st, q, "rate-limits", engine::rate_limits).await
}

/// Each Configurator scope as `laniakea limits --json` lists it: SORL parameters, every PAU's
/// limits (headroom, init, last raise, earliest next raise) and the timelock queue.
#[utoipa::path(get, path = "/api/v1/configurators", tag = "engine",
    responses((status = 200, description = "`{configurators: [...]}`", body = Object),
              (status = 404, description = "No chain (`api/no-chain`)", body = ErrorBody)))]
async fn configurators(State(st): St, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    engine_read(st, q, "configurators", engine::configurators).await
}

/// Every BEAMTimeLock's queue: delay, pause, pending operations with their ready time.
#[utoipa::path(get, path = "/api/v1/timelock", tag = "engine",
    responses((status = 200, description = "`{now, timelocks: [{timelock, name, queue}]}`", body = Object),
              (status = 404, description = "No chain (`api/no-chain`)", body = ErrorBody)))]
async fn timelock(State(st): St, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    engine_read(st, q, "timelock", engine::timelocks).await
}

/// The srUSDS Holding Systems and their LCTS queues (as `laniakea lcts --json`), with the
/// exchange-rate history from the event log.
#[utoipa::path(get, path = "/api/v1/lcts", tag = "engine",
    responses((status = 200, description = "`{holding_systems: [{block_time, holding, holding_system, queues, exchange_rate_history}]}`", body = Object),
              (status = 404, description = "No chain (`api/no-chain`)", body = ErrorBody)))]
async fn lcts(State(st): St, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    engine_read(st, q, "lcts", engine::lcts).await
}

/// Migration status: where each Prime's debt sits, the temporary compatibility set, and each
/// registered Prime's migration (status, plan, tranches done, amount moved).
#[utoipa::path(get, path = "/api/v1/migration", tag = "engine",
    responses((status = 200, description = "`{block_time, debt_locations, compatibility_set, migrations}`", body = Object),
              (status = 404, description = "No chain (`api/no-chain`) or no Generator registry (`api/not-deployed`)", body = ErrorBody)))]
async fn migration(State(st): St, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    engine_read(st, q, "migration", engine::migration).await
}
