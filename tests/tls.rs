//! Authentication and TLS against a TLS server on 127.0.0.1 with a test CA (made here by
//! rcgen) that demands a client certificate and an Authorization header.

use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use flinkscope::config::{AuthConfig, HttpSettings, TlsConfig};
use flinkscope::sources::SourceError;
use flinkscope::sources::http::Endpoint;
use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Pki {
    dir: tempfile::TempDir,
    server_cert: CertificateDer<'static>,
    server_key: PrivateKeyDer<'static>,
    ca_der: CertificateDer<'static>,
}

fn pki() -> Pki {
    let dir = tempfile::tempdir().unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().unwrap();
    let server_cert = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .unwrap()
        .signed_by(&server_key, &issuer)
        .unwrap();

    let client_key = KeyPair::generate().unwrap();
    let mut client_params = CertificateParams::new(vec!["flinkscope-client".to_string()]).unwrap();
    client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client_cert = client_params.signed_by(&client_key, &issuer).unwrap();

    std::fs::write(dir.path().join("ca.pem"), ca_cert.pem()).unwrap();
    std::fs::write(dir.path().join("client.pem"), client_cert.pem()).unwrap();
    std::fs::write(dir.path().join("client-key.pem"), client_key.serialize_pem()).unwrap();
    std::fs::write(dir.path().join("token"), "s3cret-token\n").unwrap();
    std::fs::write(dir.path().join("password"), "pa55word\n").unwrap();
    Pki {
        dir,
        server_cert: server_cert.der().clone(),
        server_key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
        ca_der: ca_cert.der().clone(),
    }
}

/// A TLS server that requires a client certificate signed by the test CA and answers 200
/// only to requests carrying `expected_auth`, 401 otherwise.
async fn tls_server(pki: &Pki, expected_auth: String) -> String {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca_der.clone()).unwrap();
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build().unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![pki.server_cert.clone()], pki.server_key.clone_key())
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let acceptor = acceptor.clone();
            let expected = expected_auth.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let request = String::from_utf8_lossy(&buf).to_lowercase();
                let authorized =
                    request.lines().any(|l| l.trim() == format!("authorization: {}", expected.to_lowercase()));
                let (status, body) = if authorized {
                    ("200 OK", r#"{"flink-version":"2.3.0"}"#)
                } else {
                    ("401 Unauthorized", "unauthorized")
                };
                let resp =
                    format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    format!("https://127.0.0.1:{}", addr.port())
}

fn tls(dir: &Path, ca: bool, client_cert: bool) -> TlsConfig {
    TlsConfig {
        ca_file: ca.then(|| dir.join("ca.pem")),
        cert_file: client_cert.then(|| dir.join("client.pem")),
        key_file: client_cert.then(|| dir.join("client-key.pem")),
    }
}

fn bearer_file(dir: &Path) -> AuthConfig {
    AuthConfig { token_file: Some(dir.join("token")), ..AuthConfig::default() }
}

async fn get(url: &str, auth: &AuthConfig, tls: &TlsConfig) -> Result<String, SourceError> {
    let http = HttpSettings { no_proxy: true, ..HttpSettings::default() };
    Endpoint::new(url, auth, tls, &http)?.get("/config").await
}

#[tokio::test]
async fn bearer_token_from_a_file_with_ca_and_client_certificate() {
    let pki = pki();
    let url = tls_server(&pki, "Bearer s3cret-token".into()).await;
    let body = get(&url, &bearer_file(pki.dir.path()), &tls(pki.dir.path(), true, true)).await.unwrap();
    assert!(body.contains("2.3.0"));
}

#[tokio::test]
async fn bearer_token_from_an_env_var() {
    let pki = pki();
    let url = tls_server(&pki, "Bearer env-token-123".into()).await;
    // SAFETY: the variable name is unique to this test; no other thread reads it.
    unsafe { std::env::set_var("FLINKSCOPE_TEST_TOKEN_A", "env-token-123") };
    let auth = AuthConfig { token_env: Some("FLINKSCOPE_TEST_TOKEN_A".into()), ..AuthConfig::default() };
    assert!(get(&url, &auth, &tls(pki.dir.path(), true, true)).await.is_ok());
}

#[tokio::test]
async fn basic_auth_with_password_from_a_file_and_from_an_env_var() {
    let pki = pki();
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("flinkscope:pa55word"));
    let url = tls_server(&pki, expected).await;
    let from_file = AuthConfig {
        user: Some("flinkscope".into()),
        password_file: Some(pki.dir.path().join("password")),
        ..AuthConfig::default()
    };
    assert!(get(&url, &from_file, &tls(pki.dir.path(), true, true)).await.is_ok());
    // SAFETY: the variable name is unique to this test; no other thread reads it.
    unsafe { std::env::set_var("FLINKSCOPE_TEST_PASSWORD_B", "pa55word") };
    let from_env = AuthConfig {
        user: Some("flinkscope".into()),
        password_env: Some("FLINKSCOPE_TEST_PASSWORD_B".into()),
        ..AuthConfig::default()
    };
    assert!(get(&url, &from_env, &tls(pki.dir.path(), true, true)).await.is_ok());
}

#[tokio::test]
async fn wrong_or_missing_credentials_are_a_401_failure() {
    let pki = pki();
    let url = tls_server(&pki, "Bearer s3cret-token".into()).await;
    let wrong = AuthConfig { token_env: Some("FLINKSCOPE_TEST_TOKEN_WRONG".into()), ..AuthConfig::default() };
    // SAFETY: the variable name is unique to this test; no other thread reads it.
    unsafe { std::env::set_var("FLINKSCOPE_TEST_TOKEN_WRONG", "guess") };
    let err = get(&url, &wrong, &tls(pki.dir.path(), true, true)).await.unwrap_err();
    assert!(matches!(err, SourceError::Status { status: 401, .. }), "{err}");
    let err = get(&url, &AuthConfig::default(), &tls(pki.dir.path(), true, true)).await.unwrap_err();
    assert!(matches!(err, SourceError::Status { status: 401, .. }), "{err}");
}

#[tokio::test]
async fn without_the_ca_the_server_is_not_trusted() {
    let pki = pki();
    let url = tls_server(&pki, "Bearer s3cret-token".into()).await;
    let err = get(&url, &bearer_file(pki.dir.path()), &tls(pki.dir.path(), false, true)).await.unwrap_err();
    assert!(err.to_string().to_lowercase().contains("certificate"), "{err}");
}

#[tokio::test]
async fn without_a_client_certificate_the_server_refuses() {
    let pki = pki();
    let url = tls_server(&pki, "Bearer s3cret-token".into()).await;
    let err = get(&url, &bearer_file(pki.dir.path()), &tls(pki.dir.path(), true, false)).await.unwrap_err();
    assert!(!matches!(err, SourceError::Status { .. }), "refused in the handshake, not by HTTP: {err}");
}

#[tokio::test]
async fn unreadable_secrets_and_bad_pem_are_setup_errors() {
    let pki = pki();
    let dir = pki.dir.path();
    let missing = AuthConfig { token_file: Some(dir.join("no-such-file")), ..AuthConfig::default() };
    let err =
        Endpoint::new("https://127.0.0.1:1", &missing, &TlsConfig::default(), &HttpSettings::default()).unwrap_err();
    assert!(matches!(&err, SourceError::Setup(m) if m.contains("no-such-file")), "{err}");

    let unset = AuthConfig { token_env: Some("FLINKSCOPE_TEST_NEVER_SET".into()), ..AuthConfig::default() };
    let err =
        Endpoint::new("https://127.0.0.1:1", &unset, &TlsConfig::default(), &HttpSettings::default()).unwrap_err();
    assert!(err.to_string().contains("FLINKSCOPE_TEST_NEVER_SET"), "{err}");

    std::fs::write(dir.join("bad.pem"), "not a certificate").unwrap();
    let bad_ca = TlsConfig { ca_file: Some(dir.join("bad.pem")), ..TlsConfig::default() };
    assert!(Endpoint::new("https://127.0.0.1:1", &AuthConfig::default(), &bad_ca, &HttpSettings::default()).is_err());
}
