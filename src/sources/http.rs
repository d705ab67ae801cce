//! One HTTP endpoint with its client: timeouts, a body cap, status checks, auth and TLS.

use std::path::Path;
use std::time::Duration;

use crate::config::{AuthConfig, HttpSettings, TlsConfig};
use crate::sanitize;
use crate::sources::SourceError;

#[derive(Clone)]
enum Auth {
    None,
    Basic { user: String, password: String },
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    // Never print secrets, not even in debug logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => f.write_str("none"),
            Auth::Basic { user, .. } => write!(f, "basic({user})"),
            Auth::Bearer(_) => f.write_str("bearer"),
        }
    }
}

/// What a client is built from: endpoints that agree on it share one client.
#[derive(PartialEq)]
struct ClientKey {
    tls: TlsConfig,
    connect_timeout: Duration,
    request_timeout: Duration,
    no_proxy: bool,
}

/// Clients built so far. One client per endpoint cost ~0.5 MiB each (its TLS roots and
/// pool): 2,000 reporters of a 1,000-TaskManager canary were a GiB. A shared client keeps
/// one connection pool, per host and port, for all of them; auth is set per request.
static CLIENTS: std::sync::Mutex<Vec<(ClientKey, reqwest::Client)>> = std::sync::Mutex::new(Vec::new());

fn shared_client(tls: &TlsConfig, http: &HttpSettings) -> Result<reqwest::Client, SourceError> {
    let key = ClientKey {
        tls: tls.clone(),
        connect_timeout: http.connect_timeout.0,
        request_timeout: http.request_timeout.0,
        no_proxy: http.no_proxy,
    };
    let mut clients = CLIENTS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, c)) = clients.iter().find(|(k, _)| *k == key) {
        return Ok(c.clone());
    }
    let client = build_client(tls, http)?;
    clients.push((key, client.clone()));
    Ok(client)
}

fn build_client(tls: &TlsConfig, http: &HttpSettings) -> Result<reqwest::Client, SourceError> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(http.connect_timeout.0)
        .read_timeout(http.request_timeout.0)
        .timeout(http.request_timeout.0)
        .pool_max_idle_per_host(2)
        .user_agent(concat!("flinkscope/", env!("CARGO_PKG_VERSION")));
    if http.no_proxy {
        builder = builder.no_proxy();
    }
    if let Some(ca) = &tls.ca_file {
        let pem = read_file(ca, "CA bundle")?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| SourceError::Setup(format!("CA bundle {}: {e}", ca.display())))?;
        if certs.is_empty() {
            return Err(SourceError::Setup(format!("CA bundle {} holds no certificate", ca.display())));
        }
        for c in certs {
            builder = builder.add_root_certificate(c);
        }
    }
    if let (Some(cert), Some(key)) = (&tls.cert_file, &tls.key_file) {
        let mut pem = read_file(cert, "client certificate")?;
        pem.push(b'\n');
        pem.extend(read_file(key, "client key")?);
        let identity = reqwest::Identity::from_pem(&pem).map_err(|e| {
            SourceError::Setup(format!("client certificate {} / key {}: {e}", cert.display(), key.display()))
        })?;
        builder = builder.identity(identity);
    }
    builder.build().map_err(|e| SourceError::Setup(error_chain(&e)))
}

/// An HTTP(S) endpoint such as a Flink REST base URL.
#[derive(Debug, Clone)]
pub struct Endpoint {
    base: String,
    client: reqwest::Client,
    auth: Auth,
    max_body: usize,
    timeout: Duration,
}

impl Endpoint {
    pub fn new(base: &str, auth: &AuthConfig, tls: &TlsConfig, http: &HttpSettings) -> Result<Self, SourceError> {
        Ok(Endpoint {
            base: base.trim_end_matches('/').to_string(),
            client: shared_client(tls, http)?,
            auth: load_auth(auth)?,
            max_body: http.max_body.0,
            timeout: http.request_timeout.0,
        })
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// GET `path` (with query), checking the status and capping the body.
    pub async fn get(&self, path: &str) -> Result<String, SourceError> {
        let url = format!("{}{}", self.base, path);
        self.send(self.client.get(&url), path).await
    }

    /// GET the first `limit` bytes of `path`, up to its last whole line: a TaskManager's log
    /// can be gigabytes and what is wanted is logged at start. Status checked as `get`.
    pub(crate) async fn get_head(&self, path: &str, limit: usize) -> Result<String, SourceError> {
        let url = format!("{}{}", self.base, path);
        let req = self.authorize(self.client.get(&url));
        let mut resp = req.send().await.map_err(|e| self.map_err(e))?;
        let status = resp.status();
        let mut body: Vec<u8> = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.map_err(e))? {
            body.extend_from_slice(&chunk);
            if body.len() >= limit {
                body.truncate(limit);
                // Dropping the response closes the connection: the rest is not read.
                if let Some(end) = body.iter().rposition(|b| *b == b'\n') {
                    body.truncate(end + 1);
                }
                break;
            }
        }
        finish(status, body, path)
    }

    fn authorize(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.auth {
            Auth::None => req,
            Auth::Basic { user, password } => req.basic_auth(user, Some(password)),
            Auth::Bearer(token) => req.bearer_auth(token),
        }
    }

    /// POST a JSON body to `path` (Jolokia's bulk read), with the same checks as `get`.
    pub(crate) async fn post_json(&self, path: &str, body: &serde_json::Value) -> Result<String, SourceError> {
        let url = format!("{}{}", self.base, path);
        self.send(self.client.post(&url).json(body), path).await
    }

    async fn send(&self, req: reqwest::RequestBuilder, path: &str) -> Result<String, SourceError> {
        let req = self.authorize(req);
        let mut resp = req.send().await.map_err(|e| self.map_err(e))?;
        let status = resp.status();
        if let Some(len) = resp.content_length()
            && len as usize > self.max_body
        {
            return Err(SourceError::TooLarge { path: short_path(path), limit: self.max_body });
        }
        // Sized once when the length is known: grown by doubling, a 700 KB answer held 1 MB.
        let mut body: Vec<u8> = Vec::with_capacity(resp.content_length().map_or(0, |l| l as usize).min(self.max_body));
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.map_err(e))? {
            if body.len() + chunk.len() > self.max_body {
                return Err(SourceError::TooLarge { path: short_path(path), limit: self.max_body });
            }
            body.extend_from_slice(&chunk);
        }
        finish(status, body, path)
    }

    fn map_err(&self, e: reqwest::Error) -> SourceError {
        if e.is_timeout() {
            SourceError::Timeout(self.timeout)
        } else if e.is_connect() {
            SourceError::Connect(sanitize::clean(&error_chain(&e)))
        } else {
            SourceError::Other(sanitize::clean(&error_chain(&e)))
        }
    }
}

/// The body as text (valid UTF-8, every healthy server's answer, is taken without a copy),
/// or the error answer's message.
fn finish(status: reqwest::StatusCode, body: Vec<u8>, path: &str) -> Result<String, SourceError> {
    let text = String::from_utf8(body).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    if !status.is_success() {
        return Err(SourceError::Status {
            status: status.as_u16(),
            path: short_path(path),
            body: sanitize::snippet(&error_message(&text), 120),
        });
    }
    Ok(text)
}

/// The path without its (possibly long) query, for messages.
fn short_path(path: &str) -> String {
    path.split('?').next().unwrap_or(path).to_string()
}

/// reqwest's top-level message is often "error sending request": the cause says why.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let msg = s.to_string();
        if !out.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        source = s.source();
    }
    out
}

fn read_file(path: &Path, what: &str) -> Result<Vec<u8>, SourceError> {
    std::fs::read(path).map_err(|e| SourceError::Setup(format!("cannot read {what} {}: {e}", path.display())))
}

fn read_secret_file(path: &Path, what: &str) -> Result<String, SourceError> {
    let raw = read_file(path, what)?;
    let s =
        String::from_utf8(raw).map_err(|_| SourceError::Setup(format!("{what} {} is not UTF-8", path.display())))?;
    let s = s.trim_end_matches(['\n', '\r']).to_string();
    if s.is_empty() {
        return Err(SourceError::Setup(format!("{what} {} is empty", path.display())));
    }
    Ok(s)
}

/// The message of an error answer: Flink's `{"errors": [...]}`, Jolokia's and the
/// Prometheus server's `{"error": "..."}` decoded (so its text, not its JSON escapes, is
/// shown and cleaned), else the body as it came.
fn error_message(body: &str) -> String {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(body) else { return body.to_string() };
    let errors: Vec<&str> = match (&v["errors"], &v["error"]) {
        (serde_json::Value::Array(a), _) => a.iter().filter_map(|e| e.as_str()).collect(),
        (_, serde_json::Value::String(e)) => vec![e.as_str()],
        _ => Vec::new(),
    };
    if errors.is_empty() { body.to_string() } else { errors.join("; ") }
}

fn read_secret_env(var: &str, what: &str) -> Result<String, SourceError> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Ok(v),
        _ => Err(SourceError::Setup(format!("{what}: environment variable {var} is not set"))),
    }
}

fn load_auth(a: &AuthConfig) -> Result<Auth, SourceError> {
    if let Some(user) = &a.user {
        let password = match (&a.password_file, &a.password_env) {
            (Some(f), _) => read_secret_file(f, "password file")?,
            (None, Some(v)) => read_secret_env(v, "password")?,
            (None, None) => {
                return Err(SourceError::Setup("basic auth user without password-file or password-env".into()));
            }
        };
        crate::sanitize::register_secret(&password);
        // As it travels in the header, where an echoing proxy would quote it from.
        use base64::Engine;
        crate::sanitize::register_secret(
            &base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")),
        );
        return Ok(Auth::Basic { user: user.clone(), password });
    }
    let token = match (&a.token_file, &a.token_env) {
        (Some(f), _) => read_secret_file(f, "token file")?,
        (None, Some(v)) => read_secret_env(v, "token")?,
        (None, None) => return Ok(Auth::None),
    };
    crate::sanitize::register_secret(&token);
    Ok(Auth::Bearer(token))
}

#[cfg(test)]
mod tests {
    use super::error_message;

    #[test]
    fn error_answers_show_their_message_not_their_json() {
        assert_eq!(error_message(r#"{"errors":["Not found: /x","second"]}"#), "Not found: /x; second");
        assert_eq!(error_message(r#"{"status":"error","error":"bad \u001b[2J query"}"#), "bad \u{1b}[2J query");
        assert_eq!(error_message("<html>502</html>"), "<html>502</html>");
        assert_eq!(error_message(r#"{"other":1}"#), r#"{"other":1}"#);
    }
}
