//! Script parsing helpers shared by the script grammar and the families' `parse_call`:
//! the typed [`ScriptError`] (line, field, message) and serde-to-field-path mapping.

use serde_json::Value as Json;
use std::fmt;

/// A script problem, found before anything ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    /// 1-based line number in the script file.
    pub line: usize,
    /// The JSON path of the offending field (`args.amount`), or `-` for the whole line.
    pub field: String,
    pub message: String,
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, field `{}`: {}",
            self.line, self.field, self.message
        )
    }
}

impl std::error::Error for ScriptError {}

pub fn err(line: usize, field: impl Into<String>, message: impl Into<String>) -> ScriptError {
    ScriptError {
        line,
        field: field.into(),
        message: message.into(),
    }
}

pub fn typed<T: serde::de::DeserializeOwned>(
    line: usize,
    v: Json,
    prefix: &str,
) -> Result<T, ScriptError> {
    serde_path_to_error::deserialize::<_, T>(v).map_err(|e| {
        let p = e.path().to_string();
        let field = match (prefix.is_empty(), p == "." || p.is_empty()) {
            (true, true) => "-".to_string(),
            (true, false) => p,
            (false, true) => prefix.to_string(),
            (false, false) => format!("{prefix}.{p}"),
        };
        err(line, field, e.into_inner().to_string())
    })
}

/// serde loses the field path inside adjacently-tagged `args`; recover it from the message:
/// `missing/unknown field `x``, or the quoted offending value.
fn locate_arg(args: &Json, msg: &str) -> String {
    for pat in ["missing field `", "unknown field `"] {
        if let Some(rest) = msg.split(pat).nth(1) {
            if let Some(name) = rest.split('`').next() {
                return format!("args.{name}");
            }
        }
    }
    fn find(v: &Json, path: &str, msg: &str) -> Option<String> {
        match v {
            Json::String(s) if msg.contains(&format!("'{s}'")) => Some(path.to_string()),
            Json::Object(m) => m
                .iter()
                .find_map(|(k, x)| find(x, &format!("{path}.{k}"), msg)),
            Json::Array(a) => a
                .iter()
                .enumerate()
                .find_map(|(i, x)| find(x, &format!("{path}[{i}]"), msg)),
            _ => None,
        }
    }
    find(args, "args", msg).unwrap_or_else(|| "args".to_string())
}

/// Deserialises `{"fn", "args"}` into a call enum, naming `fn` or the argument at fault.
pub fn typed_call<T: serde::de::DeserializeOwned>(
    line: usize,
    call: Json,
) -> Result<T, ScriptError> {
    let args = call.get("args").cloned().unwrap_or(Json::Null);
    typed::<T>(line, call, "").map_err(|mut e| {
        if e.field == "-" && !e.message.contains("unknown variant") {
            e.field = locate_arg(&args, &e.message);
        } else if e.message.contains("unknown variant") {
            e.field = "fn".to_string();
        }
        e
    })
}

/// Deserialises a call as `A`, or else as `B` (a family that also accepts another family's
/// functions, e.g. sUSDS's ERC-20 share functions); the error of the one that knew the function.
pub fn typed_call_with_fallback<T, A, B>(
    line: usize,
    call: Json,
    first: impl FnOnce(A) -> T,
    second: impl FnOnce(B) -> T,
) -> Result<T, ScriptError>
where
    A: serde::de::DeserializeOwned,
    B: serde::de::DeserializeOwned,
{
    match typed_call::<A>(line, call.clone()) {
        Ok(a) => Ok(first(a)),
        Err(e1) => match typed_call::<B>(line, call) {
            Ok(b) => Ok(second(b)),
            Err(e2) if e1.message.contains("unknown variant") => {
                Err(if e2.message.contains("unknown variant") {
                    e1
                } else {
                    e2
                })
            }
            Err(_) => Err(e1),
        },
    }
}
