//! API errors: one JSON shape, `{"error": {"code", "message", "retryable"}}`, with a stable code
//! and the HTTP status that code always maps to.
//!
//! Contract: every refusal the API makes is an [`ApiError`]; codes are stable strings
//! (`api/...` for the HTTP layer, `intake/...` for record decoding, and the Synome's own
//! `synome/...` / `store/...` codes passed through unchanged), so a client branches on the code,
//! never on the message. The status of a Synome rejection is chosen here, in one table
//! ([`status_of_rejection`]); nothing else maps codes to statuses.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use laniakea_synome::{Rejection, StoreError, SynomeError};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code, e.g. `api/bad-param`, `synome/broken-chain`.
    pub code: String,
    /// Readable reason naming the input and the rule broken.
    pub message: String,
    /// Whether the same request may succeed later unchanged (a busy store), or after re-reading
    /// the chain heads and re-signing (a lost race: `synome/stale-store-head`,
    /// `synome/broken-chain`).
    pub retryable: bool,
}

/// A refused request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub retryable: bool,
    /// Answered before the request body was read: the connection is closed after the response
    /// (`Connection: close`), so a client never reuses it with unread bytes in flight.
    pub close: bool,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            retryable: false,
            close: false,
        }
    }

    /// Marks the error as answered before the body was read (see [`ApiError::close`]).
    pub fn before_body(mut self) -> ApiError {
        self.close = true;
        self
    }

    /// A query or path parameter that does not parse or breaks a rule: 400 naming it.
    pub fn bad_param(param: &str, rule: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "api/bad-param",
            format!("invalid parameter '{param}': {rule}"),
        )
    }

    pub fn not_found(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "api/internal", message)
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code.clone(),
                message: self.message.clone(),
                retryable: self.retryable,
            },
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]: {}", self.status, self.code, self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status;
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        let mut r = (status, body).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if self.close {
            r.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if self.retryable && status == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        r
    }
}

/// The status of each Synome rejection: 401 the record is not authenticated (its signature
/// does not prove its content and author), 403 its author may not write it, 409 it conflicts
/// with what the store holds (chains, references, duplicates, another Synome), 422 it is
/// well-formed JSON but not a valid record of its kind.
pub fn status_of_rejection(r: &Rejection) -> StatusCode {
    use Rejection::*;
    match r {
        IdMismatch { .. } | BadSignature { .. } | SignerMismatch { .. } => StatusCode::UNAUTHORIZED,
        UnknownSigner { .. }
        | RoleNotHeld { .. }
        | WrongRole { .. }
        | BeforeAuthorisation { .. }
        | CouncilRoleFixed { .. }
        | DemoKeyInRealSynome { .. }
        | RealKeyInDemoSynome { .. }
        | DemoLabelMismatch { .. } => StatusCode::FORBIDDEN,
        NoGenesis { .. }
        | GenesisExists { .. }
        | ForeignSynome { .. }
        | BrokenChain { .. }
        | StaleStoreHead { .. }
        | PositionGap { .. }
        | TimeWentBackwards { .. }
        | MissingReference { .. }
        | CheckpointMismatch { .. }
        | DuplicateId { .. }
        | DuplicateFact { .. } => StatusCode::CONFLICT,
        NonIntegerNumber { .. }
        | SchemaVersion { .. }
        | CreatedAtOutOfRange { .. }
        | BadSubject { .. }
        | Payload { .. }
        | ColumnMismatch { .. }
        | BadGenesis { .. }
        | WrongReferenceKind { .. }
        | ForgivenessExceedsPenalty { .. }
        | ZeroForgiveness { .. }
        | SupersedesOtherPenalty { .. }
        | SupersedesOtherKind { .. }
        | SupersedesOtherSubject { .. }
        | NonCanonicalColumn { .. } => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        let status = match &e {
            StoreError::Busy(_) | StoreError::ChainConflict { .. } | StoreError::DuplicateId(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            StoreError::NotFound { .. } | StoreError::SchemaVersion { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError {
            status,
            code: e.code().to_string(),
            message: e.to_string(),
            retryable: e.is_retryable(),
            close: false,
        }
    }
}

impl From<SynomeError> for ApiError {
    fn from(e: SynomeError) -> ApiError {
        match e {
            SynomeError::Rejected(r) => ApiError {
                status: status_of_rejection(&r),
                code: r.code().to_string(),
                message: r.to_string(),
                retryable: r.is_retryable(),
                close: false,
            },
            SynomeError::Store(s) => s.into(),
        }
    }
}
